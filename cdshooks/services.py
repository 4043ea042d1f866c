"""The three CDS Hooks services and what discovery says of them.

One service per hook (the reference sandbox keys services by id, so one id under several hooks
would break it). The prefetch asks for the patient, the active conditions and the active
medication requests, and, when the release has verified measurement criteria, the most recent
matching observation within their look-back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdshooks.coding import SYSTEM_URIS, Coding

PATIENT = "{{context.patientId}}"
REQUIRED_PREFETCH = ("conditions", "medications")
BASE_PREFETCH = {
    "patient": f"Patient/{PATIENT}",
    "conditions": f"Condition?patient={PATIENT}&clinical-status=active",
    "medications": f"MedicationRequest?patient={PATIENT}&status=active",
}

SCOPE = (
    "Evidence notes on the NMDA-receptor antagonists ketamine, dextromethorphan, memantine, "
    "amantadine, methadone and magnesium in neuropathic pain, for the pain types recorded among "
    "the patient's active conditions: how well the evidence supports each, what is known of "
    "combining one with the current medicines, and the cautions this patient's record "
    "triggers, each citing its sources.\n\n"
    "**Not prescribing advice.** The notes summarise published evidence for the clinician's own "
    "judgement. They do not prescribe, recommend or dose any treatment, and the service never "
    "suggests, creates or changes an order (no suggestions, no system actions)."
)
USAGE = (
    "Send the prefetch keys `conditions` and `medications` (a null value means the record has "
    "none); `patient` gives the age, and any observation keys listed give measurements. The "
    "service does not call the FHIR server (`fhirServer` and `fhirAuthorization` are ignored), "
    "so a request without a required key is answered 412. Conditions are read by ICD-10-CM "
    "code and medicines by RxNorm code, product or ingredient name, against the verified codes "
    "of the current evidence release; patient factors the record cannot show are listed on "
    "each card as not assessed. Every call carries a JWT signed with ES384 or RS384 by an EHR "
    "client registered with the service, its `aud` the exact service URL."
)


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    when: str
    # Context fields the hook requires beyond patientId.
    context: tuple[str, ...] = ()

    @property
    def is_order_hook(self) -> bool:
        return self.hook != "patient-view"

    def discovery(self, coding: Coding | None) -> dict:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": f"{self.when}\n\n{SCOPE}",
            "prefetch": prefetch(coding),
            "usageRequirements": USAGE,
        }


SERVICES = {
    service.id: service
    for service in (
        Service(
            "nmdar-notes-patient-view",
            "patient-view",
            "NMDA-receptor antagonists in neuropathic pain: evidence notes",
            "When a chart opens: one card per neuropathic pain type recorded (at most three), "
            "with the evidence on each of the six NMDA-receptor antagonists and this patient's "
            "cautions.",
        ),
        Service(
            "nmdar-notes-order-select",
            "order-select",
            "NMDA-receptor antagonist selected: evidence notes",
            "When an order for an NMDA-receptor antagonist is selected: one card per such drug, "
            "with its evidence for the patient's neuropathic pain, combinations with the current "
            "medicines and this patient's cautions.",
            ("selections", "draftOrders"),
        ),
        Service(
            "nmdar-notes-order-sign",
            "order-sign",
            "NMDA-receptor antagonist about to be signed: evidence notes",
            "When orders are about to be signed: one card per NMDA-receptor antagonist among "
            "them, with its evidence for the patient's neuropathic pain, combinations with the "
            "current medicines and this patient's cautions.",
            ("draftOrders",),
        ),
    )
}


def prefetch_key(measurement: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", measurement.lower()).strip("-") or "observation"


def prefetch(coding: Coding | None) -> dict[str, str]:
    templates = dict(BASE_PREFETCH)
    for measurement, criteria in (coding.measurements if coding else {}).items():
        codes = ",".join(
            sorted({f"{SYSTEM_URIS[c.system]}|{code}" for c in criteria for code in c.codes})
        )
        days = max(criterion.max_age_days for criterion in criteria)
        templates[prefetch_key(measurement)] = (
            f"Observation?patient={PATIENT}&code={codes}"
            f"&date=ge{{{{today() - {days} days}}}}&_sort=-date&_count=1"
        )
    return templates
