"""Vancouver-style references from a source's fields: plain Python, used by the model and the
release compiler alike."""

import re


def _with_full_stop(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".?!" else f"{text}."


def vancouver_citation(
    *, authors: str, title: str, journal: str, year, volume: str, issue: str, pages: str
) -> str:
    """A Vancouver-style reference; parts the source lacks are left out, never guessed.

    More than six authors are cut to the first three and "et al.", as in the API contract's
    example.
    """
    names = [name.strip() for name in authors.split(",") if name.strip()]
    if names and re.fullmatch(r"et al\.?", names[-1]):
        names[-1] = "et al."
    elif len(names) > 6:
        names = [*names[:3], "et al."]
    parts = []
    if names:
        parts.append(_with_full_stop(", ".join(names)))
    parts.append(_with_full_stop(title))
    if journal:
        parts.append(_with_full_stop(journal))
    locator = str(year) if year else ""
    if volume:
        locator += f";{volume}" if locator else volume
        if issue:
            locator += f"({issue})"
    if pages:
        locator += f":{pages}"
    if locator:
        parts.append(_with_full_stop(locator))
    return " ".join(parts)
