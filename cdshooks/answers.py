"""One CDS Hooks call answered: the record read, each question asked of the engine the usual
way (`decision.assessments`), stored or reused, and turned into cards.

Each assessment stores only slugs and the release, as every assessment does. The same question
from the same release within `CDS_ASSESSMENT_REUSE_SECONDS` reuses the assessment stored for it
(one cache read; on a miss, one indexed query), so a chart opened twice shares one page and one
PDF. The cards issued are recorded (uuid, service, drug, pain types, note ids) for feedback.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from cdshooks import cards, fhir
from cdshooks.coding import coding_for
from cdshooks.models import IssuedCard, OverrideReason
from cdshooks.record import medication_orders, read_record
from cdshooks.services import Service
from decision.assessments import answer, parse_inputs, store_assessment, without_waiting_for_disk
from decision.engine import CompiledRelease, Inputs
from decision.models import Assessment


def respond(service: Service, body: dict, release: CompiledRelease, base_url: str) -> dict:
    """The response document for a checked request (see `views.service`)."""
    context = body["context"]
    prefetch = body.get("prefetch") or {}
    drafts = medication_orders(context.get("draftOrders")) if service.is_order_hook else []
    focus = None
    if service.hook == "order-select":
        selected = set(context["selections"])
        focus = [draft for draft in drafts if fhir.reference_key(draft) in selected]
    elif service.hook == "order-sign":
        focus = drafts
    record = read_record(
        coding=coding_for(release),
        vocabulary=release.vocabulary,
        prefetch=prefetch,
        focus=focus,
        drafts=drafts,
        today=timezone.localdate(),
    )
    if not record.pain_types or (service.is_order_hook and not record.subjects):
        return {"cards": []}
    ctx = cards.Context(
        release=release,
        record=record,
        base_url=base_url,
        override_reasons=tuple(
            reason.as_coding() for reason in OverrideReason.objects.filter(active=True)
        ),
    )
    factors = record.factors.present
    if service.is_order_hook:
        issued = [
            cards.drug_card(
                subject,
                [
                    _answered(release, pain, record.analgesics_for(subject), factors)
                    for pain in record.pain_types
                ],
                ctx,
            )
            for subject in record.subjects
        ]
    else:
        issued = [
            cards.pain_card(_answered(release, pain, record.analgesics_for(), factors), ctx)
            for pain in record.pain_types
        ]
    _record_issued(service, release, issued)
    return {"cards": [card.body for card in issued]}


def _answered(release: CompiledRelease, pain_type: str, analgesics, factors) -> cards.Answered:
    inputs = parse_inputs(release, pain_type, sorted(analgesics), sorted(factors))
    notes = answer(release, inputs)
    assessment_id, created_at = _stored(release, inputs, notes)
    return cards.Answered(pain_type, notes, assessment_id, created_at)


def _stored(release: CompiledRelease, inputs: Inputs, notes) -> tuple:
    """The id and time of the assessment stored for this question: a recent one, or a new one."""
    window = datetime.timedelta(seconds=settings.CDS_ASSESSMENT_REUSE_SECONDS)
    question = json.dumps(inputs.as_dict(), sort_keys=True)
    key = "cdshooks:assessment:" + hashlib.sha256(f"{release.id}:{question}".encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return found
    now = timezone.now()
    found = (
        Assessment.objects.filter(
            release_id=release.id, inputs=inputs.as_dict(), created_at__gte=now - window
        )
        .order_by("-created_at")
        .values_list("id", "created_at")
        .first()
    )
    if found is None:
        stored = store_assessment(release, inputs, notes)
        found = (stored.id, stored.created_at)
    remaining = (found[1] + window - now).total_seconds()
    if remaining >= 1:
        cache.set(key, tuple(found), timeout=int(remaining))
    return tuple(found)


def _record_issued(service: Service, release: CompiledRelease, issued: list[cards.Card]) -> None:
    rows = [
        IssuedCard(
            uuid=card.uuid,
            service=service.id,
            release_id=release.id,
            drug=card.drug,
            pain_types=list(card.pain_types),
            note_ids=list(card.note_ids),
            indicator=card.indicator,
        )
        for card in issued
    ]
    # Like an assessment, a card record need not wait for the disk: a crash could lose the
    # last fraction of a second of them, nothing more.
    with without_waiting_for_disk():
        IssuedCard.objects.bulk_create(rows)
