"""Feedback: what clinicians did with the cards, stored without free text, counted per note in
the admin."""

import pytest

from cdshooks.models import CardFeedback
from tests.cdshooks import bundles as b

SELECT = "nmdar-notes-order-select"


@pytest.fixture
def card(call):
    return call(SELECT, b.case_a_order_select()).json()["cards"][0]


def send(call, *items, **kwargs):
    return call(SELECT, {"feedback": list(items)}, feedback=True, **kwargs)


def test_the_specifications_overridden_example_without_a_reason_is_stored(call, card):
    response = send(
        call,
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2020-12-11T00:00:00Z"},
    )
    assert (response.status_code, response.json()) == (200, {})
    stored = CardFeedback.objects.get()
    assert (str(stored.card_uuid), stored.outcome, stored.reason_code) == (
        card["uuid"],
        "overridden",
        "",
    )
    assert stored.outcome_at.isoformat() == "2020-12-11T00:00:00+00:00"


def test_the_specifications_override_reason_example_keeps_the_code_never_the_comment(call, card):
    item = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {
            "reason": {
                "code": "d7ecf885",
                "system": "https://example.com/cds-hooks/override-reason-system",
            },
            "userComment": "A comment entered by the clinician.",
        },
        "outcomeTimestamp": "2020-12-11T00:00:00Z",
    }
    assert send(call, item).status_code == 200
    stored = CardFeedback.objects.get()
    assert (stored.reason_system, stored.reason_code) == (
        "https://example.com/cds-hooks/override-reason-system",
        "d7ecf885",
    )
    assert "A comment" not in str(CardFeedback.objects.values().get())


def test_the_specifications_accepted_example_is_stored(call, card):
    item = {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
        "outcomeTimestamp": "2021-12-11T10:05:31Z",
    }
    assert send(call, item).status_code == 200
    assert CardFeedback.objects.get().outcome == "accepted"


def test_feedback_copies_which_notes_the_card_showed(call, card):
    send(
        call,
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:00:00Z"},
    )
    stored = CardFeedback.objects.get()
    assert stored.drug == "ketamine"
    assert "ketamine-crps-suitability" in stored.note_ids
    assert "caution-ketamine-cns-depressants" in stored.note_ids


def test_duplicates_are_dropped_within_a_call_and_across_calls(call, card):
    item = {
        "card": card["uuid"],
        "outcome": "overridden",
        "outcomeTimestamp": "2026-12-01T10:00:00Z",
    }
    send(call, item, item)
    send(call, item)
    assert CardFeedback.objects.count() == 1


def test_an_unknown_card_is_counted_not_stored(call, card, caplog):
    caplog.set_level("INFO", logger="cdshooks.views")
    items = [
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
            "outcome": "overridden",
            "outcomeTimestamp": "2026-12-01T10:00:00Z",
        },
        {"card": "not-a-uuid", "outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:00:00Z"},
    ]
    assert send(call, *items).json() == {}
    assert not CardFeedback.objects.exists()
    assert "2 for unknown cards" in caplog.text


def test_a_card_of_another_service_is_unknown_here(call, card, sign):
    item = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:00:00Z"}
    service = "nmdar-notes-order-sign"
    call(service, {"feedback": [item]}, feedback=True, token=sign(service))
    assert not CardFeedback.objects.exists()


@pytest.mark.parametrize(
    ("item", "expression"),
    [
        ({"outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:00:00Z"}, "feedback[1].card"),
        (
            {"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-12-01T10:00:00Z"},
            "feedback[1].outcome",
        ),
        ({"card": "c", "outcome": "accepted"}, "feedback[1].outcomeTimestamp"),
        (
            {"card": "c", "outcome": "accepted", "outcomeTimestamp": "yesterday"},
            "feedback[1].outcomeTimestamp",
        ),
        (
            {
                "card": "c",
                "outcome": "overridden",
                "outcomeTimestamp": "2026-12-01T10:00:00Z",
                "overrideReason": {"reason": "x"},
            },
            "feedback[1].overrideReason.reason",
        ),
        ("text", "feedback[1]"),
    ],
)
def test_a_bad_item_is_400_naming_it_and_nothing_is_stored(call, card, item, expression):
    good = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:00:00Z"}
    response = send(call, good, item)
    assert response.status_code == 400
    assert [e for issue in response.json()["issue"] for e in issue["expression"]] == [expression]
    assert not CardFeedback.objects.exists()


def test_feedback_without_the_list_is_400(call):
    assert call(SELECT, {"cards": []}, feedback=True).status_code == 400


def test_feedback_needs_a_signed_call_for_the_service_url(call, card, sign):
    item = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-01T10:00:00Z"}
    assert send(call, item, token=sign("nmdar-notes-patient-view")).status_code == 401
    assert send(call, item, token=sign(f"{SELECT}/feedback")).status_code == 200
    assert send(call, item, token="garbage").status_code == 401


def test_feedback_for_an_unknown_service_is_404(call):
    assert call("nope", {"feedback": []}, feedback=True).status_code == 404


def test_the_admin_counts_overrides_and_reasons_per_note(call, card, admin_client):
    reason = {
        "reason": {
            "system": "http://cds-hooks.hl7.org/CodeSystem/non-adherence-reason",
            "code": "recipient-disagrees-evidence",
        }
    }
    send(
        call,
        {
            "card": card["uuid"],
            "outcome": "overridden",
            "outcomeTimestamp": "2026-12-01T10:00:00Z",
            "overrideReason": reason,
        },
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-12-01T10:05:00Z"},
    )
    page = admin_client.get("/admin/cdshooks/cardfeedback/")
    assert page.status_code == 200
    rows = {row["note"]: row for row in page.context["by_note"]}
    row = rows["caution-ketamine-cns-depressants"]
    assert (row["overridden"], row["accepted"]) == (2, 0)
    assert dict(row["reasons"]) == {"Disagree with the evidence": 1, "no reason given": 1}
    assert "Disagree with the evidence (1)" in page.text


def test_curators_read_the_feedback(call, card, curator_client):
    assert curator_client.get("/admin/cdshooks/cardfeedback/").status_code == 200
    assert curator_client.get("/admin/cdshooks/ehrclient/").status_code == 403
