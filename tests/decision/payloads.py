"""Hand-built release payloads for engine tests that need no database."""

from decision.engine import CompiledRelease

PAIN_TYPES = {
    "complex_regional_pain_syndrome": "Complex regional pain syndrome (CRPS)",
    "postherpetic_neuralgia": "Postherpetic neuralgia",
    "central_post_stroke_pain": "Central post-stroke pain",
}
DRUGS = {
    "ketamine": ("Ketamine", ["nmdar_antagonist"], []),
    "dextromethorphan": ("Dextromethorphan", ["nmdar_antagonist"], ["serotonergic"]),
    "memantine": ("Memantine", ["nmdar_antagonist"], []),
    "morphine": ("Morphine", ["opioid"], ["cns_depressant"]),
    "sertraline": ("Sertraline", ["ssri"], ["serotonergic"]),
    "fluoxetine": ("Fluoxetine", ["ssri"], ["serotonergic", "cyp2d6_inhibitor"]),
}
CLASSES = {
    "nmdar_antagonist": "NMDA-receptor antagonist",
    "opioid": "Opioid",
    "ssri": "Selective serotonin reuptake inhibitor",
}
PROPERTIES = {
    "serotonergic": "Raises serotonergic activity",
    "cns_depressant": "Central nervous system depressant",
    "cyp2d6_inhibitor": "Inhibits CYP2D6",
}
FACTORS = {
    "psychosis_history": "Psychotic disorder or history of psychosis",
    "renal_impairment_severe": "Severe renal impairment (eGFR below 30)",
    "older_adult": "Aged 65 or over",
}


def _terms(mapping):
    return [{"slug": slug, "name": name, "description": ""} for slug, name in mapping.items()]


def vocabulary():
    return {
        "pain_types": _terms(PAIN_TYPES),
        "drug_classes": _terms(CLASSES),
        "drug_properties": _terms(PROPERTIES),
        "patient_factors": _terms(FACTORS),
        "drugs": [
            {
                "slug": slug,
                "name": name,
                "description": "",
                "classes": classes,
                "properties": properties,
            }
            for slug, (name, classes, properties) in DRUGS.items()
        ],
    }


def source(key, *, pmid="", doi="", founding=False):
    return {
        "citation": f"Author A. Title of {key}. Journal. 2010;1(1):1-2.",
        "pmid": pmid,
        "doi": doi,
        "url": "",
        "study_type": "rct",
        "year": 2010,
        "founding_review": founding,
    }


def finding(drug, pain_type, sources, *, direction="benefit", certainty="low"):
    return {
        "title": f"{drug or 'class'} in {pain_type}",
        "drug": drug,
        "product": "",
        "pain_type": pain_type,
        "condition_scope": "",
        "population": "patients",
        "direction": direction,
        "certainty": certainty,
        "certainty_reason": "Small trials.",
        "summary": f"What is known of {drug or 'the class'} in {pain_type}.",
        "sources": sources,
    }


def group(drugs=(), classes=(), properties=(), factors=()):
    return {
        "drugs": list(drugs),
        "classes": list(classes),
        "properties": list(properties),
        "factors": list(factors),
    }


def rule(
    key,
    kind,
    *,
    drug=None,
    level="",
    severity="",
    priority=0,
    pain_types=(),
    any=None,
    all=None,
    none=None,
    cites=None,
):
    return {
        "key": key,
        "kind": kind,
        "drug": drug,
        "level": level,
        "severity": severity,
        "priority": priority,
        "title": f"Title of {key}",
        "text": f"Text of {key}",
        "when": {
            "pain_types": list(pain_types),
            "any": any or group(),
            "all": all or group(),
            "none": none or group(),
        },
        "cites": {
            "findings": [],
            "safety": [],
            "combinations": [],
            "conflicts": [],
            "sources": [],
            **(cites or {}),
        },
    }


def payload(rules=(), *, findings=None, sources=None):
    return {
        "format": 1,
        "vocabulary": vocabulary(),
        "sources": sources
        if sources is not None
        else {
            "trial-1": source("trial-1", pmid="123", doi="10.1/trial"),
            "review-2011": source("review-2011", founding=True),
            "cochrane-2025": source("cochrane-2025"),
        },
        "findings": findings
        if findings is not None
        else {
            "ketamine-crps": finding("ketamine", "complex_regional_pain_syndrome", ["trial-1"]),
            "dm-phn": finding(
                "dextromethorphan", "postherpetic_neuralgia", ["trial-1"], direction="no_benefit"
            ),
            "memantine-phn": finding(
                "memantine", "postherpetic_neuralgia", ["cochrane-2025"], direction="no_benefit"
            ),
            "class-cochrane": finding(
                None, "postherpetic_neuralgia", ["cochrane-2025"], direction="no_benefit"
            ),
        },
        "safety": {},
        "combinations": {},
        "conflicts": {},
        "rules": list(rules),
    }


def release(rules=(), **kwargs) -> CompiledRelease:
    return CompiledRelease.from_payload(payload(rules, **kwargs), id=1, version="test-1")
