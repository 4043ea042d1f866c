"""Helpers shared by the PDF tests (the server's PDF and the browser's print)."""

import io
import re
import unicodedata

from pypdf import PdfReader


def words(text: str) -> str:
    """The text as one line of words: text out of a PDF breaks lines anywhere, also after a
    hyphen, and may use compatibility characters (ligatures)."""
    return re.sub(r"-\s+", "-", " ".join(unicodedata.normalize("NFKC", text).split()))


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF, as `words`."""
    return [words(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]
