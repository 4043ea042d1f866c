"""FHIR R4 resources and CDS Hooks requests as tests send them: built here, once, so every test
reads as the clinical case it is."""

import copy
import uuid

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
PATIENT_ID = "1288992"


def bundle(*resources, type_="searchset") -> dict:
    return {
        "resourceType": "Bundle",
        "type": type_,
        "entry": [{"resource": resource} for resource in resources],
    }


def condition(*codes: str, clinical="active", verification="confirmed", system=ICD10CM) -> dict:
    resource = {
        "resourceType": "Condition",
        "id": uuid.uuid4().hex[:8],
        "code": {"coding": [{"system": system, "code": code} for code in codes]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }
    if clinical:
        resource["clinicalStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        }
    if verification:
        resource["verificationStatus"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": verification,
                }
            ]
        }
    return resource


def rx(code: str = "", display: str = "", *, id=None, status="active", text="") -> dict:
    """A MedicationRequest with a medicationCodeableConcept (RxNorm)."""
    concept = {}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code, "display": display or code}]
    if text:
        concept["text"] = text
    return {
        "resourceType": "MedicationRequest",
        "id": id or uuid.uuid4().hex[:8],
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }


def rx_contained(code: str, display: str, *, id=None, status="active") -> dict:
    """A MedicationRequest whose Medication is contained in it ("#med")."""
    return {
        "resourceType": "MedicationRequest",
        "id": id or uuid.uuid4().hex[:8],
        "status": status,
        "intent": "order",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": RXNORM, "code": code, "display": display}]},
            }
        ],
        "medicationReference": {"reference": "#med"},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }


def rx_referenced(medication_id: str, *, id=None, status="active", display="") -> dict:
    """A MedicationRequest referencing a Medication elsewhere in the request."""
    reference = {"reference": f"Medication/{medication_id}"}
    if display:
        reference["display"] = display
    return {
        "resourceType": "MedicationRequest",
        "id": id or uuid.uuid4().hex[:8],
        "status": status,
        "intent": "order",
        "medicationReference": reference,
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
    }


def medication(medication_id: str, code: str, display: str) -> dict:
    return {
        "resourceType": "Medication",
        "id": medication_id,
        "code": {"coding": [{"system": RXNORM, "code": code, "display": display}]},
    }


def patient(birth_date: str | None = "1950-03-14", **extra) -> dict:
    resource = {"resourceType": "Patient", "id": PATIENT_ID, **extra}
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


CRPS = condition("G90.511")
MORPHINE = rx("7052", "morphine")
SERTRALINE = rx("36437", "sertraline")
KETAMINE = "6130"


def prefetch(conditions=(CRPS,), medications=(MORPHINE, SERTRALINE), patient_=None, **extra):
    values = {
        "patient": patient() if patient_ is None else patient_,
        "conditions": bundle(*conditions) if conditions is not None else None,
        "medications": bundle(*medications) if medications is not None else None,
    }
    values.update(extra)
    return values


def patient_view(**prefetch_kwargs) -> dict:
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": PATIENT_ID},
        "prefetch": prefetch(**prefetch_kwargs),
    }


def order_select(*drafts, selections=None, **prefetch_kwargs) -> dict:
    drafts = drafts or (rx(KETAMINE, "ketamine", id="ketamine-order", status="draft"),)
    return {
        "hook": "order-select",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "PractitionerRole/123",
            "patientId": PATIENT_ID,
            "selections": selections or [f"MedicationRequest/{drafts[0]['id']}"],
            "draftOrders": bundle(*drafts, type_="collection"),
        },
        "prefetch": prefetch(**prefetch_kwargs),
    }


def order_sign(*drafts, **prefetch_kwargs) -> dict:
    request = order_select(*drafts, **prefetch_kwargs)
    request["hook"] = "order-sign"
    del request["context"]["selections"]
    return request


def without(request: dict, path: str) -> dict:
    """The request without one field ("context.patientId")."""
    changed = copy.deepcopy(request)
    *parents, leaf = path.split(".")
    target = changed
    for part in parents:
        target = target[part]
    del target[leaf]
    return changed


def case_a_order_select() -> dict:
    """Case (a) of the at-a-glance issue, as order-select of ketamine: CRPS (G90.51), on morphine
    and sertraline, aged 65 or over (from the birth date)."""
    return order_select(
        rx(KETAMINE, "ketamine", id="ketamine-order", status="draft"),
        conditions=[condition("G90.51")],
        medications=[MORPHINE, SERTRALINE],
        patient_=patient("1950-03-14"),
    )
