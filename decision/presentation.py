"""The engine's notes arranged for reading: one card per NMDAR antagonist, counts, references.

Shared by the live result, the stored summary, its PDF and its print view, so every rendering
shows the same notes in the same order. Arranging never changes what a note says or which notes
appear: that is the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from decision.engine import Evidence, Note, Vocabulary


@dataclass
class Card:
    """The notes about one NMDA-receptor antagonist."""

    drug: str
    name: str
    suitability: Note | None = None
    cautions: list[Note] = field(default_factory=list)
    combinations: list[Note] = field(default_factory=list)
    others: list[Note] = field(default_factory=list)

    @property
    def high_cautions(self) -> int:
        return sum(1 for note in self.cautions if note.severity == "high")


@dataclass(frozen=True)
class Reference:
    number: int
    evidence: Evidence


@dataclass
class Summary:
    cards: list[Card]
    context_notes: list[Note]
    counts: dict[str, int]
    input_names: dict
    # Printed summaries number their references once, in the order they are first cited.
    references: list[Reference] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # source key -> its number
    reference_numbers: dict[str, list[int]] = field(default_factory=dict)  # note id -> numbers


def summarise(notes, vocabulary: Vocabulary, inputs: dict, *, printable: bool = False) -> Summary:
    """Cards come in the order their drug first appears among the notes (the engine's order);
    inside a card the cautions keep that order, then the suitability note, then combinations."""
    cards: dict[str, Card] = {}
    context_notes: list[Note] = []
    for note in notes:
        if note.drug is None:
            context_notes.append(note)
            continue
        card = cards.setdefault(note.drug, Card(note.drug, note.drug_name))
        if note.kind == "suitability" and card.suitability is None:
            card.suitability = note
        elif note.kind == "caution":
            card.cautions.append(note)
        elif note.kind == "combination":
            card.combinations.append(note)
        else:
            card.others.append(note)
    summary = Summary(
        cards=list(cards.values()),
        context_notes=context_notes,
        counts=counts(notes),
        input_names=input_names(vocabulary, inputs),
    )
    if printable:
        _number_references(summary, notes)
    return summary


def _number_references(summary: Summary, notes) -> None:
    numbers = summary.numbers
    for note in _reading_order(summary):
        for entry in note.evidence:
            if entry.key not in numbers:
                numbers[entry.key] = len(numbers) + 1
                summary.references.append(Reference(numbers[entry.key], entry))
        # On paper a note cites "[2] [5] [9]": reference numbers in ascending order.
        summary.reference_numbers[note.id] = sorted({numbers[e.key] for e in note.evidence})


def _reading_order(summary: Summary):
    for card in summary.cards:
        yield from card.cautions
        if card.suitability is not None:
            yield card.suitability
        yield from card.combinations
        yield from card.others
    yield from summary.context_notes


def counts(notes) -> dict[str, int]:
    """How many notes of each kind: the summary line and the screen-reader announcement."""
    cautions = [note for note in notes if note.kind == "caution"]
    return {
        "drugs": len({note.drug for note in notes if note.drug}),
        "high": sum(1 for note in cautions if note.severity == "high"),
        "other_cautions": sum(1 for note in cautions if note.severity != "high"),
        "combinations": sum(1 for note in notes if note.kind == "combination"),
    }


def input_names(vocabulary: Vocabulary, inputs: dict) -> dict:
    """The inputs in words, as the release that answered them names them."""
    return {
        "pain_type": vocabulary.pain_types[inputs["pain_type"]].name,
        "analgesics": [vocabulary.drugs[slug].name for slug in inputs["analgesics"]],
        "factors": [vocabulary.patient_factors[slug].name for slug in inputs["factors"]],
    }
