"""Arranging the engine's notes for reading: cards per drug, counts, numbered references."""

import pytest

from decision.assessments import answer, parse_inputs
from decision.presentation import summarise
from decision.releases import active_release

pytestmark = pytest.mark.django_db

CRPS = "complex_regional_pain_syndrome"


def _summary(*, printable: bool, analgesics=("sertraline", "morphine")):
    release = active_release()
    inputs = parse_inputs(release, CRPS, list(analgesics), ["psychosis_history"])
    notes = answer(release, inputs)
    return notes, summarise(notes, release.vocabulary, inputs.as_dict(), printable=printable)


def _shown(summary) -> list:
    notes = []
    for card in summary.cards:
        notes += card.cautions
        notes += [card.suitability] if card.suitability else []
        notes += card.combinations + card.others
    return notes + summary.context_notes


def test_every_note_is_shown_once_and_none_is_added(mini_release):
    notes, summary = _summary(printable=False)
    assert sorted(note.id for note in _shown(summary)) == sorted(note.id for note in notes)


def test_each_card_holds_one_drug_with_its_suitability_note(mini_release):
    _, summary = _summary(printable=False)
    for card in summary.cards:
        assert card.suitability.drug == card.drug
        assert all(note.drug == card.drug for note in card.cautions + card.combinations)


def test_the_live_result_numbers_no_references(mini_release):
    _, summary = _summary(printable=False)
    assert summary.references == []
    assert summary.reference_numbers == {}


def test_a_printable_summary_numbers_each_reference_once_in_order_of_first_citation(mini_release):
    _, summary = _summary(printable=True)
    assert [reference.number for reference in summary.references] == [1, 2, 3, 4]
    # Dextromethorphan's card (its high caution comes first), then ketamine's, then context.
    assert [reference.evidence.key for reference in summary.references] == [
        "label-nuedexta",
        "ferraro-2025",
        "zhou-2011",
        "sigtermans-2009",
    ]
    for note in _shown(summary):
        expected = sorted({summary.numbers[entry.key] for entry in note.evidence})
        assert summary.reference_numbers[note.id] == expected
    assert summary.references[0].evidence.study_type_label == "Drug label"


def test_the_counts_are_taken_from_the_notes(mini_release):
    notes, summary = _summary(printable=False)
    cautions = [note for note in notes if note.kind == "caution"]
    assert summary.counts == {
        "drugs": 2,
        "high": sum(note.severity == "high" for note in cautions),
        "other_cautions": sum(note.severity != "high" for note in cautions),
        "combinations": 1,
    }
    assert summary.counts["high"] == 2


def test_the_inputs_are_named_in_words(mini_release):
    _, summary = _summary(printable=False)
    assert summary.input_names == {
        "pain_type": "Complex regional pain syndrome (CRPS)",
        "analgesics": ["Morphine", "Sertraline"],
        "factors": ["Psychotic disorder or history of psychosis"],
    }
