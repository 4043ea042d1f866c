"""CDS Hooks cards made from the engine's notes: rendering only, never a new judgement.

A card says what the notes say: the evidence level and certainty of each NMDAR antagonist, the
cautions this patient's inputs triggered (scope "patient"), combinations with the current
medicines, the sources, the evidence version and the disclaimer, and what the record could not
show. Detail is GitHub-flavoured markdown with every piece of text escaped, so no note can
smuggle in raw HTML or a link. No card carries suggestions or system actions, and an optional
field without a value is left out rather than sent empty.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone

from cdshooks.record import Record
from decision.disclaimer import DISCLAIMER
from decision.engine import CompiledRelease, Evidence, Note
from decision.presentation import SUPPORT_ORDER, summarise
from evidence.scales import CERTAINTIES, LEVELS, SEVERITIES

SOURCE_LABEL = "NMDAR evidence notes"
MAX_SUMMARY = 139  # the specification: "<140-character summary"
LEVEL_WORDS = {
    "favourable": "favourable",
    "mixed": "mixed",
    "unfavourable": "unfavourable",
    "insufficient": "insufficient",
}


@dataclass(frozen=True)
class Answered:
    """One pain type's assessment: its notes and where it is stored."""

    pain_type: str
    notes: tuple[Note, ...]
    assessment_id: uuid.UUID
    created_at: datetime.datetime


@dataclass(frozen=True)
class Context:
    release: CompiledRelease
    record: Record
    base_url: str
    override_reasons: tuple[dict, ...]

    def absolute(self, path: str) -> str:
        return f"{self.base_url}{path}"


@dataclass(frozen=True)
class Card:
    body: dict
    drug: str
    pain_types: tuple[str, ...]
    note_ids: tuple[str, ...]

    @property
    def uuid(self) -> str:
        return self.body["uuid"]

    @property
    def indicator(self) -> str:
        return self.body["indicator"]


# --- Summaries ---------------------------------------------------------------------------


def short_name(name: str) -> str:
    """A pain type's abbreviation when its name gives one: "... syndrome (CRPS)" -> "CRPS"."""
    match = re.search(r"\(([A-Z][A-Za-z0-9-]{1,9})\)\s*$", name)
    return match.group(1) if match else name


def lower_first(text: str) -> str:
    """ "Complex regional pain syndrome" mid-sentence; "NMDA", "HIV-associated" keep theirs."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _cautions_phrase(notes) -> str:
    """This patient's cautions, counted as the notes have them (scope "patient" only)."""
    alerts = [note for note in notes if note.is_alert]
    high = sum(1 for note in alerts if note.severity == "high")
    if high:
        return f"{_count(high, 'high-severity caution')} for this patient"
    if alerts:
        return f"{_count(len(alerts), 'caution')} for this patient"
    return ""


def _fit(candidates) -> str:
    """The first candidate short enough for a card summary."""
    for candidate in candidates:
        if candidate and len(candidate) <= MAX_SUMMARY:
            return candidate
    raise ValueError("no summary fits")  # the last candidate of each caller always fits


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part) + "."


def pain_summary(notes, pain_name: str) -> str:
    """A patient-view card's summary: the best-supported level among the six suitability notes
    (the order of the form's overview: favourable, mixed, insufficient, against) and
    the drugs that have it, what the others have, and how many cautions this patient's inputs
    triggered. Words come from the notes alone: no ranking beyond the evidence levels, no
    instruction, no dose."""
    suitability = [note for note in notes if note.kind == "suitability"]
    best = min((SUPPORT_ORDER[note.level] for note in suitability), default=None)
    cautions = _cautions_phrase(notes)
    short = short_name(pain_name)
    if best is None:
        return _fit([_join(f"{short}: no evidence notes", cautions), "No evidence notes."])
    level = list(LEVELS)[best]
    leaders = [note for note in suitability if SUPPORT_ORDER[note.level] == best]
    others = [note for note in suitability if SUPPORT_ORDER[note.level] != best]
    names = ", ".join(note.drug_name.lower() for note in leaders)
    certainty = (
        f" ({CERTAINTIES[leaders[0].certainty].lower()} certainty)"
        if len(leaders) == 1 and leaders[0].certainty
        else ""
    )
    other_levels = sorted({note.level for note in others}, key=SUPPORT_ORDER.get)
    rest = (
        f"{' or '.join(LEVEL_WORDS[item] for item in other_levels)} for the other {len(others)}"
        if others
        else ""
    )
    if not others:
        lead = f"evidence is {LEVEL_WORDS[level]} for all {len(leaders)} NMDAR antagonists"
    elif len(leaders) > 2:
        lead = f"evidence is {LEVEL_WORDS[level]} for {len(leaders)} NMDAR antagonists"
    else:
        lead = f"evidence is {LEVEL_WORDS[level]} for {names}{certainty}"
    return _fit(
        [
            _join(f"{pain_name}: {lead}", rest, cautions),
            _join(f"{short}: {lead}", rest, cautions),
            _join(f"{short}: {lead}", cautions),
            _join(f"Evidence notes on NMDAR antagonists for {short}", cautions),
            _join("Evidence notes on NMDAR antagonists", cautions),
        ]
    )


def drug_summary(drug: str, drug_name: str, answers: list[Answered], names: dict[str, str]) -> str:
    """An order card's summary: the drug's evidence level for each pain type, and how many
    cautions this patient's inputs triggered for it."""
    levels = []
    for answer in answers:
        note = _suitability(answer.notes, drug)
        if note is None:
            continue
        certainty = f" ({CERTAINTIES[note.certainty].lower()} certainty)" if note.certainty else ""
        levels.append((lower_first(names[answer.pain_type]), LEVEL_WORDS[note.level], certainty))
    cautions = _cautions_phrase(
        _unique(note for answer in answers for note in answer.notes if note.drug == drug)
    )
    if len(levels) == 1:
        pain, level, certainty = levels[0]
        full = [
            _join(f"{drug_name} for {pain}: evidence {level}{certainty}", cautions),
            _join(f"{drug_name} for {short_name(pain)}: evidence {level}{certainty}", cautions),
            _join(f"{drug_name} for {short_name(pain)}: evidence {level}", cautions),
        ]
    else:
        listing = ", ".join(f"{level} for {short_name(pain)}" for pain, level, _ in levels)
        full = [_join(f"{drug_name}: evidence {listing}", cautions)]
    return _fit([*full, _join(f"Evidence notes on {drug_name}", cautions), drug_name[:100]])


# --- Markdown ----------------------------------------------------------------------------

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def md(text: str) -> str:
    """Text as literal markdown: one line, every character markdown or HTML would read
    escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _link(label: str, url: str) -> str:
    return f"[{md(label)}]({url})"


def _citation(number: int, entry: Evidence) -> str:
    links = []
    if entry.pmid:
        links.append(_link(f"PMID {entry.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{entry.pmid}/"))
    if entry.doi:
        links.append(_link(f"doi:{entry.doi}", f"https://doi.org/{quote(entry.doi, safe='/')}"))
    return f"{number}. {md(entry.citation)}" + (f" {' · '.join(links)}" if links else "")


def _sources(notes) -> list[str]:
    entries: dict[str, Evidence] = {}
    for note in notes:
        for entry in note.evidence:
            entries.setdefault(entry.key, entry)
    if not entries:
        return []
    lines = ["**Sources**", ""]
    lines += [_citation(number, entry) for number, entry in enumerate(entries.values(), 1)]
    return lines


def _item(note: Note, *, why: bool = True) -> str:
    scale = SEVERITIES.get(note.severity) or LEVELS.get(note.level) or ""
    label = f"**{md(scale)}** · " if scale else ""
    reasons = f" Why: {md('; '.join(note.why))}." if why and note.why else ""
    return f"- {label}{md(note.title)}.{reasons}"


def _section(title: str, items: list[str]) -> list[str]:
    return [f"**{md(title)}**", "", *items, ""] if items else []


def _record_lines(ctx: Context) -> list[str]:
    record, vocabulary = ctx.record, ctx.release.vocabulary
    factor_names = vocabulary.patient_factors

    def names(slugs, terms) -> str:
        return md(", ".join(terms[slug].name for slug in slugs))

    lines = [
        "- Pain types recognised among the active conditions: "
        + names(record.pain_types, vocabulary.pain_types)
        + (
            f" ({_count(record.pain_types_left_out, 'more pain type')} recognised, not shown)"
            if record.pain_types_left_out
            else ""
        )
        + "."
    ]
    medicines = sorted(
        record.current | record.ordered, key=lambda slug: vocabulary.drugs[slug].name
    )
    lines.append("- Medicines recognised: " + (names(medicines, vocabulary.drugs) or "none") + ".")
    if record.unrecognised:
        lines.append(
            f"- {_count(len(record.unrecognised), 'medicine')} not recognised, so not checked "
            f"for interactions: {md('; '.join(record.unrecognised))}."
        )
    factors = record.factors
    if factors.present:
        lines.append(f"- Patient factors from the record: {names(factors.present, factor_names)}.")
    if factors.not_found:
        lines.append(
            f"- Checked, not found in the record: {names(factors.not_found, factor_names)}."
        )
    if factors.not_assessed:
        lines.append(
            "- Not assessed (this service cannot read them from the record, so notes that "
            f"depend on them are not shown): {names(factors.not_assessed, factor_names)}."
        )
    return _section("What the record showed", lines)


def _day(moment: datetime.datetime, month: str) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local.strftime(month)} {local.year}"


def _footer(ctx: Context) -> list[str]:
    release = ctx.release
    published = f", published {_day(release.published_at, '%B')}" if release.published_at else ""
    return [f"*Evidence version {md(release.version)}{published}.* {md(DISCLAIMER)}"]


def _snapshot_links(ctx: Context, answers: list[Answered], names: dict[str, str]) -> list[dict]:
    links = []
    for answer in answers:
        day = _day(answer.created_at, "%b")
        about = f" for {short_name(names[answer.pain_type])}" if len(answers) > 1 else ""
        links += [
            {
                "label": f"Stored summary{about} (dated snapshot, {day})",
                "url": ctx.absolute(reverse("decision:assessment", args=[answer.assessment_id])),
                "type": "absolute",
            },
            {
                "label": f"PDF of the stored summary{about} (dated snapshot, {day})",
                "url": ctx.absolute(
                    reverse("decision:assessment_pdf", args=[answer.assessment_id])
                ),
                "type": "absolute",
            },
        ]
    return links


def _card(ctx: Context, summary: str, detail: list[str], indicator: str, links: list[dict]):
    return compact(
        {
            "uuid": str(uuid.uuid4()),
            "summary": summary,
            "detail": "\n".join(detail).strip(),
            "indicator": indicator,
            "source": {
                "label": f"{SOURCE_LABEL} · evidence version {ctx.release.version}",
                "url": ctx.absolute(reverse("cdshooks:about")),
            },
            "overrideReasons": list(ctx.override_reasons),
            "links": links,
        }
    )


def compact(value):
    """Without the members that have no value: the specification forbids null and empty
    elements, and an optional one without a value is left out."""
    if isinstance(value, dict):
        kept = {key: compact(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, "", [], {})}
    if isinstance(value, list):
        return [
            item for item in (compact(item) for item in value) if item not in (None, "", [], {})
        ]
    return value


# --- The cards ---------------------------------------------------------------------------


def _suitability(notes, drug: str | None = None) -> Note | None:
    return next(
        (n for n in notes if n.kind == "suitability" and (drug is None or n.drug == drug)), None
    )


def _unique(notes) -> list[Note]:
    return list({note.id: note for note in notes}.values())


def _certainty(note: Note) -> str:
    return CERTAINTIES[note.certainty] if note.certainty else "Not graded"


def pain_card(answer: Answered, ctx: Context) -> Card:
    """patient-view: the six evidence levels for one pain type and this patient's cautions."""
    vocabulary = ctx.release.vocabulary
    pain_name = vocabulary.pain_types[answer.pain_type].name
    # The same arrangement as the form's answer: its bottom line and its overview's order.
    summary = summarise(
        answer.notes,
        vocabulary,
        {
            "pain_type": answer.pain_type,
            "analgesics": sorted(ctx.record.analgesics_for()),
            "factors": list(ctx.record.factors.present),
        },
    )
    suitability = [card.suitability for card in summary.cards if card.suitability]
    alerts = summary.alerts
    table = [
        f"| NMDA-receptor antagonist | Evidence for {md(short_name(pain_name))} | Certainty |",
        "| --- | --- | --- |",
        *(
            f"| {md(note.drug_name)} | {md(LEVELS[note.level])} | {md(_certainty(note))} |"
            for note in suitability
        ),
        "",
    ]
    detail = [
        f"**Bottom line.** {md(' '.join(summary.bottom_line))}",
        "",
        f"**Evidence for {md(pain_name)}**",
        "",
        *table,
        *_section(
            "Cautions for this patient",
            [_item(note) for note in alerts]
            or ["- None triggered by what the record shows (see below for what it could not)."],
        ),
        *_sources([*suitability, *alerts]),
        "",
        *_record_lines(ctx),
        *_footer(ctx),
    ]
    names = {answer.pain_type: pain_name}
    body = _card(
        ctx,
        pain_summary(answer.notes, pain_name),
        detail,
        "info",
        _snapshot_links(ctx, [answer], names),
    )
    shown = [*suitability, *alerts]
    return Card(body, "", (answer.pain_type,), tuple(note.id for note in shown))


def drug_card(drug: str, answers: list[Answered], ctx: Context) -> Card:
    """order-select / order-sign: one NMDAR antagonist being ordered, for each pain type of the
    record: its evidence level, this patient's cautions, combinations with the current
    medicines, its known risks whatever the patient. `warning` when a high-severity caution
    this patient's inputs triggered applies to it, else `info`; never `critical`."""
    vocabulary = ctx.release.vocabulary
    drug_name = vocabulary.drugs[drug].name
    names = {answer.pain_type: vocabulary.pain_types[answer.pain_type].name for answer in answers}
    own = _unique(note for answer in answers for note in answer.notes if note.drug == drug)
    evidence = []
    shown: list[Note] = []
    for answer in answers:
        note = _suitability(answer.notes, drug)
        if note is None:
            continue
        shown.append(note)
        evidence += [
            f"**{md(drug_name)} for {md(lower_first(names[answer.pain_type]))}: "
            f"{md(LEVELS[note.level])}** "
            f"(certainty: {md(_certainty(note).lower())})",
            "",
            f"{md(note.title)}. {md(note.text)}",
            "",
        ]
    alerts = [note for note in own if note.is_alert]
    combinations = [note for note in own if note.kind == "combination"]
    general = [note for note in own if note.kind == "caution" and not note.is_alert]
    context_notes = [note for note in own if note.kind == "context"]
    # Sources are listed for the notes shown in full; the known risks and context notes are
    # named only, with their sources on the stored summary.
    cited = [*shown, *alerts, *combinations]
    shown += alerts + combinations + general + context_notes
    detail = [
        *evidence,
        *_section(
            "Cautions for this patient",
            [_item(note) for note in alerts]
            or ["- None triggered by what the record shows (see below for what it could not)."],
        ),
        *_section("With the current medicines", [_item(note) for note in combinations]),
        *_section(
            f"Known risks of any use of {drug_name.lower()}",
            [_item(note, why=False) for note in general],
        ),
        *_section("Context", [_item(note, why=False) for note in context_notes]),
        *_sources(cited),
        "",
        *_record_lines(ctx),
        *_footer(ctx),
    ]
    high = any(note.severity == "high" for note in alerts)
    body = _card(
        ctx,
        drug_summary(drug, drug_name, answers, names),
        detail,
        "warning" if high else "info",
        _snapshot_links(ctx, answers, names),
    )
    return Card(body, drug, tuple(names), tuple(note.id for note in shown))
