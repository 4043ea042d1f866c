"""Reference import: a RIS, PubMed/MEDLINE (.nbib) or BibTeX file becomes draft sources.

All or nothing: every reference in the file is read and checked first, and any problem (a file
that does not parse, a reference without a title, a PMID that is not a number, a DOI that does
not start with "10.") stops the import with a message naming the reference; nothing is stored.
A reference already in the knowledge base (same PMID, or same DOI ignoring case) or repeated in
the file is skipped and reported, never duplicated.

RIS is read with rispy; BibTeX with bibtexparser 2. rispy has no MEDLINE reader (its RisParser
needs an end tag, which MEDLINE lacks), so MEDLINE tags are read here, minimally.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePath

import bibtexparser
import rispy
from bibtexparser import middlewares
from bibtexparser.middlewares.names import NameParts
from bibtexparser.model import DuplicateBlockKeyBlock
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from evidence.models import PMID_PATTERN, Source, Status, StudyType

MAX_BYTES = 5 * 1024 * 1024
TOO_LARGE = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."
FORMAT_LABELS = {"ris": "RIS", "medline": "PubMed/MEDLINE", "bibtex": "BibTeX"}
EXTENSIONS = {
    ".ris": "ris",
    ".nbib": "medline",
    ".medline": "medline",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
}
# Most imports are trials and observational papers whose design the file does not state. The
# default must not claim more than that (a trial or a synthesis); the curator sets the real type.
DEFAULT_STUDY_TYPE = StudyType.OBSERVATIONAL
# MEDLINE publication types, strongest design first: the first one present sets the study type.
PUBLICATION_TYPES = (
    ("meta-analysis", StudyType.META_ANALYSIS),
    ("systematic review", StudyType.SYSTEMATIC_REVIEW),
    ("randomized controlled trial", StudyType.RCT),
    ("observational study", StudyType.OBSERVATIONAL),
    ("case reports", StudyType.CASE_SERIES),
    ("review", StudyType.REVIEW),
)


class ReferenceImportError(Exception):
    """The file cannot be imported; `problems` says why, one line each. Nothing was stored."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Reference:
    """One reference as read from a file, before it is checked."""

    position: int
    title: str = ""
    authors: list[str] = field(default_factory=list)  # Vancouver: "Zhou HY"
    first_surname: str = ""
    journal: str = ""
    year: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""
    publication_types: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        title = self.title if len(self.title) <= 60 else f"{self.title[:57]}..."
        return f"Reference {self.position}" + (f" ({title})" if title else "")


@dataclass
class Skipped:
    label: str
    reason: str


@dataclass
class ImportReport:
    format: str
    created: list[Source]
    skipped: list[Skipped]

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS[self.format]


# --- Reading the file ---------------------------------------------------------------------


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReferenceImportError(
            ["The file is not a UTF-8 text file. Export it again as RIS, MEDLINE or BibTeX."]
        ) from None
    if "\x00" in text:
        raise ReferenceImportError(["The file is not a text file (it contains binary data)."])
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(filename: str, text: str) -> str:
    """The format, from the file name's extension or else from the content."""
    extension = PurePath(filename).suffix.lower()
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    if re.search(r"^TY  -", text, re.MULTILINE):
        return "ris"
    if re.search(r"^PMID- ", text, re.MULTILINE):
        return "medline"
    if re.search(r"^\s*@\w+\s*[{(]", text, re.MULTILINE):
        return "bibtex"
    raise ReferenceImportError(
        [
            f"Could not tell the format of {filename!r}: it is not RIS, PubMed/MEDLINE or "
            "BibTeX. Use a .ris, .nbib or .bib file."
        ]
    )


def read_references(data: bytes, filename: str) -> tuple[str, list[Reference]]:
    text = decode(data)
    if not text.strip():
        raise ReferenceImportError(["The file is empty."])
    file_format = detect_format(filename, text)
    reader = {"ris": read_ris, "medline": read_medline, "bibtex": read_bibtex}[file_format]
    references = reader(text)
    if not references:
        raise ReferenceImportError(
            [f"No {FORMAT_LABELS[file_format]} references were found in the file."]
        )
    return file_format, references


def _first(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def read_ris(text: str) -> list[Reference]:
    starts = len(re.findall(r"^TY  -", text, re.MULTILINE))
    if starts == 0:
        raise ReferenceImportError(
            ["This is not a RIS file: no reference starts with a 'TY  - ' line."]
        )
    entries = rispy.loads(text)
    if len(entries) != starts:
        raise ReferenceImportError(
            [
                "The RIS file is incomplete: every reference must start with 'TY  -' and end "
                f"with 'ER  -' ({starts} start, {len(entries)} end properly)."
            ]
        )
    references = []
    for position, entry in enumerate(entries, start=1):
        names = [*entry.get("authors", []), *entry.get("first_authors", [])]
        journal = next(
            (
                _first(entry.get(key))
                for key in (
                    "secondary_title",
                    "alternate_title3",
                    "journal_name",
                    "alternate_title2",
                    "alternate_title1",
                )
                if _first(entry.get(key))
            ),
            "",
        )
        start, end = _first(entry.get("start_page")), _first(entry.get("end_page"))
        urls = [url for url in entry.get("urls", []) if url.startswith(("http://", "https://"))]
        doi = _first(entry.get("doi")) or next(
            (url for url in urls if re.match(r"https?://(dx\.)?doi\.org/", url)), ""
        )
        references.append(
            Reference(
                position=position,
                title=_first(entry.get("title")) or _first(entry.get("primary_title")),
                authors=[vancouver_name(name) for name in names if name.strip()],
                first_surname=surname_of(names[0]) if names else "",
                journal=journal,
                year=_first(entry.get("year"))
                or _first(entry.get("publication_year"))
                or _first(entry.get("date")),
                volume=_first(entry.get("volume")),
                issue=_first(entry.get("number")),
                pages=f"{start}-{end}" if start and end and start != end else start,
                doi=doi,
                pmid=_ris_pmid(entry),
                url=next((url for url in urls if url != doi), ""),
            )
        )
    return references


def _ris_pmid(entry: dict) -> str:
    """RIS has no PMID tag: exporters put it in AN (with DB/DP naming PubMed) or in a note."""
    database = f"{_first(entry.get('name_of_database'))} {_first(entry.get('database_provider'))}"
    if entry.get("accession_number") and re.search(r"pubmed|medline|ncbi", database, re.I):
        return _first(entry["accession_number"])
    texts = [*entry.get("notes", []), _first(entry.get("note"))]
    texts += [_first(entry.get(f"custom{n}")) for n in range(1, 9)]
    texts += [value for values in entry.get("unknown_tag", {}).values() for value in values]
    for text in texts:
        match = re.search(r"\bPMID:?\s*(\S+)", text or "")
        if match:
            return match.group(1).rstrip(".;,")
    return ""


MEDLINE_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3}) {0,2}- ?(.*)$")


def read_medline(text: str) -> list[Reference]:
    records: list[dict[str, list[str]]] = []
    record: dict[str, list[str]] | None = None
    last_tag = ""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            record = None
            continue
        match = MEDLINE_TAG.match(line)
        if match and len(line) > 4 and line[4] == "-":
            tag, value = match.group(1), match.group(2).strip()
            if record is None:
                record = {}
                records.append(record)
            record.setdefault(tag, []).append(value)
            last_tag = tag
        elif line.startswith("      ") and record is not None:
            record[last_tag][-1] = f"{record[last_tag][-1]} {line.strip()}"
        else:
            raise ReferenceImportError(
                [
                    f"Line {number} of the MEDLINE file is neither a tag line ('TI  - ...') nor "
                    f"a continuation: {line[:60]!r}."
                ]
            )
    if records and not any("PMID" in record for record in records):
        raise ReferenceImportError(["This is not a PubMed/MEDLINE file: no record has a PMID."])
    references = []
    for position, record in enumerate(records, start=1):
        authors = record.get("AU") or [vancouver_name(name) for name in record.get("FAU", [])]
        authors = [*authors, *record.get("CN", [])]
        doi = next(
            (
                value[: -len("[doi]")].strip()
                for value in [*record.get("LID", []), *record.get("AID", [])]
                if value.endswith("[doi]")
            ),
            "",
        )
        first_author = (record.get("FAU") or record.get("AU") or record.get("CN") or [""])[0]
        references.append(
            Reference(
                position=position,
                title=_first(record.get("TI")) or _first(record.get("BTI")),
                authors=authors,
                first_surname=surname_of(first_author) if first_author else "",
                # TA is the NLM abbreviation that Vancouver references use.
                journal=_first(record.get("TA")) or _first(record.get("JT")),
                year=_first(record.get("DP")),
                volume=_first(record.get("VI")),
                issue=_first(record.get("IP")),
                pages=_first(record.get("PG")),
                doi=doi,
                pmid=_first(record.get("PMID")),
                publication_types=record.get("PT", []),
            )
        )
    return references


def _plain(value) -> str:
    """BibTeX text as one plain line: LaTeX is decoded by bibtexparser's middleware; the braces
    it keeps (they group words for BibTeX) go here."""
    return " ".join(str(value or "").replace("{", "").replace("}", "").split())


def _bibtex_library(text: str):
    return bibtexparser.parse_string(
        text,
        append_middleware=[
            middlewares.NormalizeFieldKeys(),
            # Accents and escapes become Unicode; braced groups stay braced, so a corporate
            # author ("{World Health Organization}") is still one name when names are split.
            middlewares.LatexDecodingMiddleware(keep_braced_groups=True),
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
        ],
    )


def read_bibtex(text: str) -> list[Reference]:
    library = _bibtex_library(text)
    entries = list(library.entries)
    problems = []
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            # A repeated citation key: read it anyway, so a repeated reference is skipped as a
            # repeat and a different one that merely reuses the key is still imported.
            entries += _bibtex_library(block.raw or "").entries
            continue
        line = (block.start_line or 0) + 1
        problems.append(
            f"The BibTeX entry starting on line {line} could not be read: {block.error}"
        )
    if problems:
        raise ReferenceImportError(problems)
    entries.sort(key=lambda entry: entry.start_line or 0)
    references = []
    for position, entry in enumerate(entries, start=1):
        fields = {key: value for key, value in entry.items() if key not in ("ENTRYTYPE", "ID")}
        names = fields.get("author") or fields.get("editor") or []
        if isinstance(names, str):  # not split by the middleware (e.g. a failed name)
            names = [NameParts(last=[names])]
        pmid = _first(fields.get("pmid"))
        if not pmid and _first(fields.get("eprinttype")).lower() == "pubmed":
            pmid = _first(fields.get("eprint"))
        references.append(
            Reference(
                position=position,
                title=_plain(fields.get("title")),
                authors=[_bibtex_vancouver(name) for name in names],
                first_surname=_plain(" ".join([*names[0].von, *names[0].last])) if names else "",
                journal=_plain(
                    fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")
                ),
                year=_first(fields.get("year")) or _first(fields.get("date")),
                volume=_first(fields.get("volume")),
                issue=_first(fields.get("number")) or _first(fields.get("issue")),
                pages=re.sub(r"\s*(--|–|—)\s*", "-", _first(fields.get("pages"))),
                doi=_first(fields.get("doi")),
                pmid=pmid,
                url=_first(fields.get("url")),
            )
        )
    return references


def _bibtex_vancouver(name: NameParts) -> str:
    surname = _plain(" ".join([*name.von, *name.last]))
    given = initials(_plain(" ".join(name.first)))
    suffix = _plain(" ".join(name.jr)).rstrip(".")
    return " ".join(part for part in (surname, given, suffix) if part)


# --- Names ----------------------------------------------------------------------------------


def initials(given: str) -> str:
    """'Hong-Yi' -> 'HY', 'J. J.' -> 'JJ'; already-initialised 'HY' stays 'HY'."""
    letters = []
    for token in re.split(r"[\s.\-]+", given):
        if not token:
            continue
        if token.isalpha() and token.isupper() and len(token) <= 3:
            letters.append(token)
        else:
            letters.append(token[0].upper())
    return "".join(letters)


def vancouver_name(raw: str) -> str:
    """'Zhou, Hong-Yi' -> 'Zhou HY'. A name without a comma is kept ('Zhou HY', a group)."""
    raw = " ".join(raw.split()).strip(" ,")
    if "," not in raw:
        return raw
    surname, _, rest = raw.partition(",")
    given, _, suffix = rest.partition(",")
    parts = [surname.strip(), initials(given.strip()), suffix.strip().rstrip(".")]
    return " ".join(part for part in parts if part)


def surname_of(raw: str) -> str:
    raw = " ".join(raw.split()).strip(" ,")
    if "," in raw:
        return raw.partition(",")[0].strip()
    words = raw.split(" ")
    # "Zhou HY": the trailing initials are not part of the surname.
    if len(words) > 1 and words[-1].isalpha() and words[-1].isupper() and len(words[-1]) <= 4:
        words = words[:-1]
    return " ".join(words)


# --- Checking and storing -------------------------------------------------------------------


@dataclass
class Checked:
    reference: Reference
    year: int | None
    doi: str
    pmid: str
    title: str


def _doi(raw: str) -> str:
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", raw.strip(), flags=re.I)


def check(reference: Reference) -> tuple[Checked | None, list[str]]:
    label = reference.label
    problems = []
    title = " ".join(reference.title.split())
    if title.endswith(".") and not title.endswith(".."):
        title = title[:-1]
    if not title:
        problems.append(f"{label} has no title.")
    pmid = reference.pmid.strip()
    if pmid and not re.fullmatch(PMID_PATTERN, pmid):
        problems.append(f"{label}: PMID {pmid!r} is not a PubMed number (digits only).")
    doi = _doi(reference.doi)
    if doi and not doi.startswith("10."):
        problems.append(f"{label}: DOI {doi!r} does not start with '10.'.")
    year = None
    if reference.year.strip():
        match = re.search(r"\b(\d{4})\b", reference.year)
        if match is None:
            problems.append(f"{label}: year {reference.year!r} is not a year.")
        else:
            year = int(match.group(1))
            if not 1900 <= year <= 2100:
                problems.append(f"{label}: year {year} is outside 1900-2100.")
    for name, value in (
        ("journal", reference.journal),
        ("volume", reference.volume),
        ("issue", reference.issue),
        ("pages", reference.pages),
        ("doi", doi),
        ("pmid", pmid),
    ):
        limit = Source._meta.get_field(name).max_length
        if len(value) > limit:
            problems.append(f"{label}: {name} is longer than {limit} characters.")
    if problems:
        return None, problems
    return Checked(reference, year, doi, pmid, title), []


def study_type_for(reference: Reference) -> str | None:
    types = {value.strip().lower() for value in reference.publication_types}
    return next((study for name, study in PUBLICATION_TYPES if name in types), None)


def _key_base(checked: Checked) -> str:
    name = checked.reference.first_surname
    if not name:
        # No author (a label, a web page): the first real word of the title names it.
        name = next((word for word in checked.title.split() if len(word) >= 4), "ref")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[-_]+", "-", slugify(ascii_name)).strip("-")[:40].strip("-") or "ref"
    return f"{base}-{checked.year}" if checked.year else base


def unique_key(base: str, taken: set[str]) -> str:
    """'zhou-2011', then 'zhou-2011b', 'zhou-2011c' ... (or 'zhou-2' ... without a year)."""
    if base not in taken:
        return base
    with_year = base[-4:].isdigit()
    candidates = [f"{base}{letter}" for letter in "bcdefghijklmnopqrstuvwxyz"] if with_year else []
    candidates += [f"{base}-{number}" for number in range(2, 1000)]
    return next(candidate for candidate in candidates if candidate not in taken)


def _normal_title(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.casefold())


def import_references(data: bytes, filename: str, *, user=None) -> ImportReport:
    """Store each new reference in the file as a draft source, or raise and store nothing."""
    if len(data) > MAX_BYTES:
        raise ReferenceImportError([TOO_LARGE])
    file_format, references = read_references(data, filename)
    checked, problems = [], []
    for reference in references:
        result, found = check(reference)
        problems += found
        if result:
            checked.append(result)
    if problems:
        raise ReferenceImportError(problems)

    stored = Stored.of(checked)
    skipped: list[Skipped] = []
    planned: list[Checked] = []
    seen: dict[tuple[str, str], str] = {}
    for item in checked:
        label = item.reference.label
        markers = [
            marker
            for marker in (
                ("PMID", item.pmid),
                ("DOI", item.doi.lower()),
                ("title", f"{_normal_title(item.title)}:{item.year or ''}"),
            )
            if marker[1]
        ]
        repeat = next((seen[marker] for marker in markers if marker in seen), None)
        if repeat:
            skipped.append(Skipped(label, f"repeats {repeat} in this file"))
            continue
        existing = stored.match(item)
        if existing is not None:
            skipped.append(Skipped(label, f"already in the knowledge base as {existing}"))
            continue
        for marker in markers:
            seen.setdefault(marker, f"reference {item.reference.position}")
        planned.append(item)

    today = timezone.localdate().isoformat()
    taken = set(Source.objects.values_list("key", flat=True))
    sources, problems = [], []
    for item in planned:
        key = unique_key(_key_base(item), taken)
        taken.add(key)
        guessed = study_type_for(item.reference)
        how = (
            "study type taken from the file's publication types"
            if guessed
            else f"study type not in the file, set to '{DEFAULT_STUDY_TYPE.label}' by default: "
            "check it"
        )
        source = Source(
            key=key,
            authors=", ".join(item.reference.authors),
            title=item.title,
            journal=item.reference.journal,
            year=item.year,
            volume=item.reference.volume,
            issue=item.reference.issue,
            pages=item.reference.pages,
            doi=item.doi,
            pmid=item.pmid,
            url=_valid_url(item.reference.url),
            study_type=guessed or DEFAULT_STUDY_TYPE,
            status=Status.DRAFT,
            changed_by=user,
            notes=f"Imported from {PurePath(filename).name} ({FORMAT_LABELS[file_format]}) on "
            f"{today}; {how}.",
        )
        try:
            # check() has tested in words what the constraints test, `Stored` has matched PMIDs
            # and DOIs, `taken` makes each key unique and the user is the one importing: what
            # is left is each field's own check, which needs no query.
            source.full_clean(
                exclude=["changed_by"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as error:
            details = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
            problems.append(f"{item.reference.label}: {details}")
        sources.append(source)
    if problems:
        raise ReferenceImportError(problems)
    try:
        with transaction.atomic():
            for source in sources:
                source._history_user = user
                source.save()
    except IntegrityError as error:
        raise ReferenceImportError(
            [f"The sources changed while importing ({error}); nothing was stored. Try again."]
        ) from error
    return ImportReport(file_format, sources, skipped)


@dataclass
class Stored:
    """The stored sources that share a PMID or a DOI (any case) with the references of a file."""

    by_pmid: dict[str, str]
    by_doi: dict[str, str]  # lower-cased DOI -> key

    @classmethod
    def of(cls, items: list[Checked]) -> Stored:
        """Two queries for the whole file, however many references it has."""
        pmids = {item.pmid for item in items if item.pmid}
        dois = {item.doi.lower() for item in items if item.doi}
        by_pmid, by_doi = {}, {}
        if pmids:
            rows = Source.objects.filter(pmid__in=pmids).order_by("key")
            for pmid, key in rows.values_list("pmid", "key"):
                by_pmid.setdefault(pmid, key)
        if dois:
            rows = Source.objects.annotate(doi_lower=Lower("doi")).filter(doi_lower__in=dois)
            for doi, key in rows.order_by("key").values_list("doi_lower", "key"):
                by_doi.setdefault(doi, key)
        return cls(by_pmid, by_doi)

    def match(self, item: Checked) -> str | None:
        """The key of a stored source with the same PMID or DOI, and which matched."""
        if item.pmid in self.by_pmid:
            return f"{self.by_pmid[item.pmid]} (same PMID)"
        if item.doi.lower() in self.by_doi:
            return f"{self.by_doi[item.doi.lower()]} (same DOI)"
        return None


def _valid_url(url: str) -> str:
    if not url or len(url) > Source._meta.get_field("url").max_length:
        return ""
    try:
        URLValidator()(url)
    except ValidationError:
        return ""
    return url
