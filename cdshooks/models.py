"""What the CDS Hooks service keeps: the EHRs allowed to call it, the override reasons its cards
offer, the cards it issued and what clinicians did with them.

None of it identifies a patient: no patient id, hook instance, name, date or free text from a
request is stored. An issued card records which notes it showed, so feedback can be counted per
note; the notes themselves live in the stored assessment.
"""

import uuid

from django.db import models
from django.db.models import Q

from cdshooks.tokens import validate_jwks
from decision.models import Release


class EhrClient(models.Model):
    """A CDS client (an EHR) trusted to call the services: its JWT issuer and public keys."""

    name = models.CharField(max_length=200, help_text="Who this is, for the operators.")
    issuer = models.CharField(
        max_length=500,
        unique=True,
        help_text="The JWT `iss` the client signs with, exactly as it sends it.",
    )
    jwks = models.JSONField(
        verbose_name="JWKS",
        validators=[validate_jwks],
        help_text='The client\'s public JSON Web Key Set, {"keys": [...]}: EC P-384 (ES384) or '
        "RSA (RS384) keys, each with its kid.",
    )
    active = models.BooleanField(default=True, help_text="Untick to refuse its calls.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "EHR client"

    def __str__(self) -> str:
        return self.name

    @property
    def kids(self) -> list[str]:
        return [key.get("kid", "") for key in self.jwks.get("keys", [])]


class OverrideReason(models.Model):
    """A reason a clinician may give for dismissing a card (a CDS Hooks Coding with display)."""

    system = models.CharField(max_length=200)
    code = models.CharField(max_length=64)
    display = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower first.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="overridereason_unique"),
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(display="") & ~Q(system=""),
                name="overridereason_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.display

    def as_coding(self) -> dict:
        return {"system": self.system, "code": self.code, "display": self.display}


class Outcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    OVERRIDDEN = "overridden", "Overridden"


class IssuedCard(models.Model):
    """A card the service answered with: which service, drug and pain types, which notes."""

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    service = models.CharField(max_length=64)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")
    drug = models.CharField(max_length=64, blank=True, help_text="Order hooks: the drug ordered.")
    pain_types = models.JSONField(default=list)
    note_ids = models.JSONField(default=list, help_text="The notes the card showed.")
    indicator = models.CharField(max_length=16)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "issued card"

    def __str__(self) -> str:
        return str(self.uuid)


class CardFeedback(models.Model):
    """What a clinician did with a card. The card's service, drug and notes are copied here so
    the counts per note outlive the card; the free-text `userComment` is never kept."""

    card_uuid = models.UUIDField(verbose_name="card")
    service = models.CharField(max_length=64)
    drug = models.CharField(max_length=64, blank=True)
    pain_types = models.JSONField(default=list)
    note_ids = models.JSONField(default=list)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    outcome_at = models.DateTimeField(verbose_name="when")
    reason_system = models.CharField(max_length=200, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-outcome_at"]
        verbose_name = "card feedback"
        verbose_name_plural = "card feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="cardfeedback_outcome_valid"
            ),
            # The same report twice (a client resending) is one report.
            models.UniqueConstraint(
                fields=["card_uuid", "outcome", "outcome_at", "reason_system", "reason_code"],
                name="cardfeedback_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_uuid} {self.outcome}"
