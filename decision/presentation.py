"""The engine's notes arranged for reading: a bottom line, a six-drug overview, one card each.

Shared by the live result, the stored summary, its print view and its PDF, so every rendering
shows the same notes in the same order. Arranging never changes what a note says or which notes
appear (that is the engine's), and the bottom line is made of the notes' own levels, certainties,
severities and titles: it adds no clinical judgement of its own.

Only cautions this patient's inputs triggered (`Note.is_alert`) are counted, named in the bottom
line or shown first; what applies to any use of a drug is its card's quieter "known risks" layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from decision.engine import Evidence, Note, Screened, Vocabulary
from evidence.scales import CERTAINTIES, SEVERITY_RANK

# The overview's order of evidence for the pain type: support first, then no evidence either
# way, then evidence against. (The scale's own order puts "unfavourable" before "insufficient";
# for a reader looking for what may help, evidence of no benefit comes last.)
SUPPORT_ORDER = {"favourable": 0, "mixed": 1, "insufficient": 2, "unfavourable": 3}
EVIDENCE_WORDS = {
    "favourable": "Favourable",
    "mixed": "Mixed",
    "insufficient": "Insufficient",
    "unfavourable": "Unfavourable (evidence against)",
}
CERTAINTY_ORDER = {value: position for position, value in enumerate(CERTAINTIES)}
# The bottom line names at most this many high-severity cautions; the overview has the rest.
NAMED_IN_BOTTOM_LINE = 3

MEDICINE_LINE = "Current medicine: "
FACTOR_LINE = "Patient factor: "
PAIN_TYPE_LINE = "Pain type: "
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bal)\.\s+(?=[A-Z(])")


@dataclass
class Card:
    """The notes about one NMDA-receptor antagonist, in the order a card shows them."""

    drug: str
    name: str
    suitability: Note | None = None
    alerts: list[Note] = field(default_factory=list)  # cautions this patient's inputs triggered
    combinations: list[Note] = field(default_factory=list)
    known_risks: list[Note] = field(default_factory=list)  # cautions for any use of the drug
    others: list[Note] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)  # what the card's notes cite

    @property
    def notes(self) -> list[Note]:
        """Every note of the card in reading order: this patient's cautions first."""
        suitability = [self.suitability] if self.suitability else []
        return [*self.alerts, *suitability, *self.combinations, *self.known_risks, *self.others]

    @property
    def high_alerts(self) -> int:
        return sum(1 for note in self.alerts if note.severity == "high")

    @property
    def top_severity(self) -> str | None:
        return self.alerts[0].severity if self.alerts else None

    @property
    def first_alert(self) -> Note | None:
        return self.alerts[0] if self.alerts else None

    @property
    def first_alert_phrase(self) -> str:
        return alert_phrase(self.alerts[0], drug=False) if self.alerts else ""

    @property
    def level(self) -> str | None:
        return self.suitability.level if self.suitability else None

    @property
    def evidence_label(self) -> str:
        """ "Mixed (low certainty)": the level for the pain type and, when graded, its certainty."""
        if self.suitability is None or self.suitability.level is None:
            return "No note"
        return EVIDENCE_WORDS[self.suitability.level] + certainty_phrase(self.suitability)

    @property
    def level_words(self) -> str:
        return EVIDENCE_WORDS[self.level] if self.level else "No note"

    @property
    def combination_lines(self) -> list[str]:
        """ "Mixed with morphine": each combination note's level and the medicines it is about."""
        lines = []
        for note in self.combinations:
            names = medicine_names(note)
            about = f" with {' and '.join(lower_first(name) for name in names)}" if names else ""
            lines.append(f"{EVIDENCE_WORDS[note.level].split(' (')[0]}{about}")
        return lines

    def sort_key(self) -> tuple:
        level = SUPPORT_ORDER.get(self.level, len(SUPPORT_ORDER))
        certainty = CERTAINTY_ORDER.get(
            self.suitability.certainty if self.suitability else None, len(CERTAINTY_ORDER)
        )
        top = SEVERITY_RANK.get(self.top_severity, len(SEVERITY_RANK))
        # Then by this patient's risk, the lower first: fewer high cautions, a milder highest one,
        # fewer cautions in all.
        return (level, certainty, self.high_alerts, -top, len(self.alerts), self.name)


@dataclass(frozen=True)
class Reference:
    number: int
    evidence: Evidence
    printed: bool = True  # cited by a note a printout shows in full


@dataclass
class Summary:
    cards: list[Card]
    context_notes: list[Note]
    counts: dict[str, int]
    input_names: dict
    bottom_line: list[str]
    # This patient's cautions across all drugs, most severe first: the printout's first page.
    alerts: list[Note]
    # Which medicines were screened for interactions: every one the release lets one enter.
    screened: Screened
    # References are numbered once for the whole answer, in the order they are first cited.
    references: list[Reference] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # source key -> its number
    reference_numbers: dict[str, list[int]] = field(default_factory=dict)  # note id -> numbers


def summarise(notes, vocabulary: Vocabulary, inputs: dict) -> Summary:
    """The notes as the overview and cards show them. Every rendering numbers its references
    the same way, so a number means one source on screen, on paper and in the PDF."""
    cards: dict[str, Card] = {}
    context_notes: list[Note] = []
    for note in notes:
        if note.drug is None:
            context_notes.append(note)
            continue
        card = cards.setdefault(note.drug, Card(note.drug, note.drug_name))
        if note.kind == "suitability" and card.suitability is None:
            card.suitability = note
        elif note.is_alert:
            card.alerts.append(note)
        elif note.kind == "caution":
            card.known_risks.append(note)
        elif note.kind == "combination":
            card.combinations.append(note)
        else:
            card.others.append(note)
    for card in cards.values():
        # Stable sorts: the engine's order is kept among equally severe cautions.
        card.alerts.sort(key=lambda note: SEVERITY_RANK[note.severity])
        card.known_risks.sort(key=lambda note: SEVERITY_RANK[note.severity])
    ordered = sorted(cards.values(), key=Card.sort_key)
    names = input_names(vocabulary, inputs)
    alerts = sorted(
        (note for card in ordered for note in card.alerts),
        key=lambda note: SEVERITY_RANK[note.severity],
    )
    summary = Summary(
        cards=ordered,
        context_notes=context_notes,
        counts=counts(notes),
        input_names=names,
        bottom_line=bottom_line(ordered, alerts, names),
        alerts=alerts,
        screened=Screened.of(vocabulary),
    )
    _number_references(summary)
    return summary


def _number_references(summary: Summary) -> None:
    """Numbers in the order a printout cites: this patient's cautions, then each drug's evidence
    and combinations (printed in full), then what prints as titles only (known risks of any
    use, background), whose sources come last and are left off paper (`Reference.printed`)."""
    for note in summary.alerts:
        _cite(summary, note, printed=True)
    for card in summary.cards:
        for note in [card.suitability, *card.combinations]:
            if note is not None and not prints_as_title(note):
                _cite(summary, note, printed=True)
    for card in summary.cards:
        for note in [card.suitability, *card.known_risks, *card.others]:
            if note is not None and prints_as_title(note):
                _cite(summary, note, printed=False)
    for note in summary.context_notes:
        _cite(summary, note, printed=False)
    for card in summary.cards:
        cited = {n for note in card.notes for n in summary.reference_numbers[note.id]}
        card.references = [summary.references[number - 1] for number in sorted(cited)]


def prints_as_title(note: Note) -> bool:
    """On paper, what is not about this patient's question prints as its title: the known risks
    of any use, background, and the engine's own "no direct evidence" note, whose sources are
    the drug's evidence in other pain types."""
    if note.kind == "suitability":
        return note.rule is None
    return note.kind == "context" or (note.kind == "caution" and not note.is_alert)


def _cite(summary: Summary, note: Note, *, printed: bool) -> None:
    numbers = summary.numbers
    for entry in note.evidence:
        if entry.key not in numbers:
            numbers[entry.key] = len(numbers) + 1
            summary.references.append(Reference(numbers[entry.key], entry, printed))
    # A note cites "[2] [5] [9]": reference numbers in ascending order.
    summary.reference_numbers[note.id] = sorted({numbers[e.key] for e in note.evidence})


# --- The bottom line ------------------------------------------------------------------------


def bottom_line(cards: list[Card], alerts: list[Note], names: dict) -> list[str]:
    """Two sentences from the notes alone: where the evidence for the pain type is strongest,
    and which cautions this patient's inputs triggered."""
    return [_evidence_sentence(cards, names["pain_type"]), _alerts_sentence(alerts, names)]


def _evidence_sentence(cards: list[Card], pain_name: str) -> str:
    pain = lower_first(pain_name)
    graded = [card for card in cards if card.level]
    if not graded:
        return f"For {pain}, no note rates the evidence."
    supportive = [card for card in graded if card.level in ("favourable", "mixed")]
    rest = [card for card in graded if card not in supportive]
    against = [card for card in rest if card.level == "unfavourable"]
    everyone = f"all {_count_words(len(graded))} NMDA-receptor antagonists"
    if not supportive:
        if not against:
            return f"For {pain}, evidence is insufficient for {everyone}."
        if len(against) == len(rest):
            return f"For {pain}, evidence is against {everyone}."
        others = _count_words(len(rest) - len(against))
        return (
            f"For {pain}, no NMDA-receptor antagonist has favourable or mixed evidence: it is "
            f"against {_names(against)} and insufficient for the other {others}."
        )
    groups: dict[str, list[Card]] = {}
    for card in supportive:
        groups.setdefault(card.evidence_label.lower(), []).append(card)
    parts = [f"{label} for {_names(members)}" for label, members in groups.items()]
    lead = f"For {pain}, evidence is {_and(parts)}"
    if not rest:
        return f"{lead}."
    if not against:
        word = "insufficient"
    elif len(against) == len(rest):
        word = "against"
    else:
        word = "insufficient or against"
    return f"{lead} and {word} for the other {_count_words(len(rest))}."


def _alerts_sentence(alerts: list[Note], names: dict) -> str:
    if not alerts:
        entered = names["analgesics"] or names["factors"]
        tail = "" if entered else " (no current medicines or patient factors entered)"
        return f"No caution applies to this patient's inputs{tail}."
    high = [note for note in alerts if note.severity == "high"]
    others = len(alerts) - len(high)
    if not high:
        return (
            f"No high-severity caution applies to this patient; {_plural(others, 'caution')} of "
            f"lower severity: {_named(alerts)}."
        )
    verb = "applies" if len(high) == 1 else "apply"
    sentence = (
        f"{_plural(len(high), 'high-severity caution')} {verb} to this patient: {_named(high)}."
    )
    if others:
        sentence += f" {_plural(others, 'more caution')} of lower severity."
    return sentence


def _named(notes: list[Note]) -> str:
    named = "; ".join(alert_phrase(note) for note in notes[:NAMED_IN_BOTTOM_LINE])
    if len(notes) > NAMED_IN_BOTTOM_LINE:
        named += f"; and {len(notes) - NAMED_IN_BOTTOM_LINE} more in the drugs' details"
    return named


def alert_phrase(note: Note, *, drug: bool = True) -> str:
    """ "serotonin toxicity (dextromethorphan with sertraline)": the harm the caution's title
    names, the drug (unless `drug` is False: the overview's row names it), and what in this
    patient's inputs triggered it."""
    harm = note.title.split(": ", 1)[1] if ": " in note.title else note.title
    medicines = [lower_first(name) for name in medicine_names(note)]
    factors = [
        lower_first(line.removeprefix(FACTOR_LINE).split(" (", 1)[0])
        for line in note.why
        if line.startswith(FACTOR_LINE)
    ]
    about = lower_first(note.drug_name or "") if drug else ""
    if medicines:
        about = f"{about} with {' and '.join(medicines)}".strip()
    if factors:
        about = ", ".join(part for part in (about, *factors) if part)
    return f"{harm} ({about})" if about else harm


def medicine_names(note: Note) -> list[str]:
    """The current medicines a note's "why" lines name, without their classes."""
    return [
        line.removeprefix(MEDICINE_LINE).split(" (", 1)[0]
        for line in note.why
        if line.startswith(MEDICINE_LINE)
    ]


def certainty_phrase(note: Note) -> str:
    return f" ({note.certainty_label.lower()} certainty)" if note.certainty else ""


def first_sentence(text: str) -> tuple[str, str]:
    """A note's text split after its first sentence: the folded card shows the first."""
    parts = _SENTENCE_END.split(text, maxsplit=1)
    if len(parts) == 1:
        return text, ""
    return parts[0] + ".", parts[1]


def lower_first(text: str) -> str:
    """ "Complex regional pain syndrome" mid-sentence; "NMDA", "HIV-associated" keep theirs."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _names(cards: list[Card]) -> str:
    return _and([lower_first(card.name) for card in cards])


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count_words(number: int) -> str:
    return _WORDS[number] if number < len(_WORDS) else str(number)


def _plural(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def counts(notes) -> dict[str, int]:
    """This patient's cautions and the combination notes: the summary line and the
    screen-reader announcement. Cautions for any use of a drug are not counted."""
    alerts = [note for note in notes if note.is_alert]
    return {
        "high": sum(1 for note in alerts if note.severity == "high"),
        "other_cautions": sum(1 for note in alerts if note.severity != "high"),
        "combinations": sum(1 for note in notes if note.kind == "combination"),
    }


def input_names(vocabulary: Vocabulary, inputs: dict) -> dict:
    """The inputs in words, as the release that answered them names them."""
    return {
        "pain_type": vocabulary.pain_types[inputs["pain_type"]].name,
        "analgesics": [vocabulary.drugs[slug].name for slug in inputs["analgesics"]],
        "factors": [vocabulary.patient_factors[slug].name for slug in inputs["factors"]],
    }
