"""The scales everything speaks, defined once: value -> label, strongest or most severe first.

Plain Python (no Django), so the engine, the grading rule, the API schemas, the models' choices
and the templates all read the same definitions.
"""

NMDAR_CLASS = "nmdar_antagonist"

# How the evidence judges a drug for a pain type, or adding it to a current medicine.
LEVELS = {
    "favourable": "Favourable",
    "mixed": "Mixed",
    "unfavourable": "Unfavourable",
    "insufficient": "Insufficient evidence",
}
SEVERITIES = {"high": "High", "moderate": "Moderate", "low": "Low"}
# GRADE certainty of a body of evidence (docs/curation.md explains each level).
CERTAINTIES = {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low"}
DIRECTIONS = {
    "benefit": "Benefit",
    "no_benefit": "No benefit",
    "mixed": "Mixed",
    "insufficient": "Insufficient evidence",
}
# Who a finding was observed in, relative to the pain type it is filed under. Only findings in
# patients with that pain type are direct evidence for it; mixed neuropathic populations are
# direct only for "other neuropathic pain" (decision/grading.py, docs/grading.md).
POPULATIONS = {
    "patients": "Patients with this pain type",
    "mixed_neuropathic": "Mixed or unspecified neuropathic pain",
    "other_patients": "Another population (e.g. chronic pain in general)",
    "animal": "Animal model",
}
STUDY_TYPES = {
    "review": "Review",
    "systematic_review": "Systematic review",
    "meta_analysis": "Meta-analysis",
    "rct": "Randomised controlled trial",
    "observational": "Observational study",
    "case_series": "Case series or case report",
    "animal": "Animal study",
    "label": "Drug label",
}
# Whom a caution concerns: this patient (their inputs triggered it) or any use of the drug.
SCOPES = {"patient": "This patient", "drug": "Any use of the drug"}
NOTE_KINDS = {
    "suitability": "Evidence for this pain type",
    "combination": "With the current medicines",
    "caution": "Caution",
    "context": "Context",
}


def rank(scale: dict[str, str]) -> dict[str, int]:
    """Each value's position on its scale: 0 is the strongest or most severe."""
    return {value: position for position, value in enumerate(scale)}


LEVEL_RANK = rank(LEVELS)
SEVERITY_RANK = rank(SEVERITIES)
CERTAINTY_RANK = rank(CERTAINTIES)
