"""Arranging the engine's notes for reading: cards per drug, counts, numbered references."""

import pytest

from decision.assessments import answer, parse_inputs
from decision.presentation import summarise
from decision.releases import active_release

pytestmark = pytest.mark.django_db

CRPS = "complex_regional_pain_syndrome"


def _summary(*, analgesics=("sertraline", "morphine")):
    release = active_release()
    inputs = parse_inputs(release, CRPS, list(analgesics), ["psychosis_history"])
    notes = answer(release, inputs)
    return notes, summarise(notes, release.vocabulary, inputs.as_dict())


def _shown(summary) -> list:
    return [note for card in summary.cards for note in card.notes] + summary.context_notes


def test_every_note_is_shown_once_and_none_is_added(mini_release):
    notes, summary = _summary()
    assert sorted(note.id for note in _shown(summary)) == sorted(note.id for note in notes)


def test_each_card_holds_one_drug_with_its_suitability_note(mini_release):
    _, summary = _summary()
    for card in summary.cards:
        assert card.suitability.drug == card.drug
        assert all(note.drug == card.drug for note in card.notes)
        assert all(note.is_alert for note in card.alerts)
        assert not any(note.is_alert for note in card.known_risks)


def test_references_are_numbered_once_in_the_order_a_printout_cites_them(mini_release):
    _, summary = _summary()
    assert [reference.number for reference in summary.references] == list(
        range(1, len(summary.references) + 1)
    )
    # This patient's cautions are cited first: page one of the printout.
    first = summary.alerts[0]
    assert summary.reference_numbers[first.id][0] == 1
    for note in _shown(summary):
        numbers = summary.reference_numbers[note.id]
        assert numbers == sorted(numbers)
        cited = {summary.references[number - 1].evidence.key for number in numbers}
        assert cited == {entry.key for entry in note.evidence}
    # What prints as a title only comes last and is left off paper.
    printed = [reference.printed for reference in summary.references]
    assert printed == sorted(printed, reverse=True)


def test_cards_come_in_order_of_evidence_then_of_this_patients_risk(mini_release):
    _, summary = _summary()
    assert [card.drug for card in summary.cards] == ["ketamine", "dextromethorphan"]
    assert [card.level for card in summary.cards] == ["mixed", "insufficient"]


def test_the_bottom_line_is_made_of_the_notes_levels_and_this_patients_cautions(mini_release):
    _, summary = _summary()
    evidence, alerts = summary.bottom_line
    assert evidence.startswith(
        "For complex regional pain syndrome (CRPS), evidence is mixed (low certainty) for "
        "ketamine and insufficient for the other one."
    )
    assert alerts.startswith("2 high-severity cautions apply to this patient: ")
    for note in summary.alerts:
        assert note.title.split(": ", 1)[-1] in alerts


def test_known_risks_of_any_use_are_neither_counted_nor_named_for_a_patient_with_nothing_entered(
    shipped_release,
):
    release = active_release()
    inputs = parse_inputs(release, "postherpetic_neuralgia", [], [])
    notes = answer(release, inputs)
    summary = summarise(notes, release.vocabulary, inputs.as_dict())
    known = [note for note in notes if note.kind == "caution" and note.scope == "drug"]
    assert len(known) >= 6  # the shipped labelling risks: ketamine, methadone, amantadine, ...
    assert summary.counts == {"high": 0, "other_cautions": 0, "combinations": 0}
    assert summary.alerts == []
    assert summary.bottom_line[1] == (
        "No caution applies to this patient's inputs "
        "(no current medicines or patient factors entered)."
    )
    shown = [note.id for card in summary.cards for note in card.known_risks]
    assert sorted(shown) == sorted(note.id for note in known)
    assert all(card.alerts == [] for card in summary.cards)


def test_the_counts_are_this_patients_cautions_and_the_combination_notes(mini_release):
    # Sertraline triggers dextromethorphan's serotonin caution, the psychosis factor ketamine's;
    # morphine brings the one combination note (ketamine added to an opioid).
    _, summary = _summary()
    assert summary.counts == {"high": 2, "other_cautions": 0, "combinations": 1}


def test_the_inputs_are_named_in_words(mini_release):
    _, summary = _summary()
    assert summary.input_names == {
        "pain_type": "Complex regional pain syndrome (CRPS)",
        "analgesics": ["Morphine", "Sertraline"],
        "factors": ["Psychotic disorder or history of psychosis"],
    }
