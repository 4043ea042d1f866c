"""The release's codes, indexed for reading a health record: which code names which pain type,
drug or patient factor, which codes only count as pairs, products and their ingredients, and
the measurements that show a factor.

Pure Python over a release payload (see `decision.releases.payload_from`): built once per
release and process (`coding_for`), then every lookup is a dictionary read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from decision.engine import CompiledRelease
from decision.models import Release

# FHIR's canonical system URIs, and the HL7 OIDs some records still use for the same systems.
SYSTEM_URIS = {
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed_ct": "http://snomed.info/sct",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "loinc": "http://loinc.org",
}
_OIDS = {
    "icd10cm": "urn:oid:2.16.840.1.113883.6.90",
    "snomed_ct": "urn:oid:2.16.840.1.113883.6.96",
    "rxnorm": "urn:oid:2.16.840.1.113883.6.88",
    "loinc": "urn:oid:2.16.840.1.113883.6.1",
}
SYSTEMS = {uri: system for system, uri in SYSTEM_URIS.items()} | {
    oid: system for system, oid in _OIDS.items()
}
# ICD-10-CM is a prefix hierarchy: every code of three or more characters that begins a code is
# one of its ancestors (G90.511 -> G90.51 -> G90.5 -> G90).
HIERARCHICAL = frozenset({"icd10cm"})
SHORTEST_ANCESTOR = 3


def system_of(uri) -> str | None:
    return SYSTEMS.get(uri.strip()) if isinstance(uri, str) else None


def normalise(system: str, code: str) -> str:
    """A code as it is compared: ICD-10-CM without dots, in upper case, and without the "-"
    that marks a family whose last character is still to be chosen ("T45.1X5-")."""
    code = code.strip()
    if system in HIERARCHICAL:
        return code.replace(".", "").upper().rstrip("-")
    return code


def lineage(system: str, code: str) -> tuple[str, ...]:
    """The normalised code and, in a hierarchical system, each of its ancestors."""
    own = normalise(system, code)
    if system not in HIERARCHICAL:
        return (own,) if own else ()
    return tuple(own[:length] for length in range(len(own), SHORTEST_ANCESTOR - 1, -1))


@dataclass(frozen=True, slots=True)
class Named:
    """What one code names in the release."""

    pain_types: frozenset[str] = frozenset()
    drugs: frozenset[str] = frozenset()
    factors: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Pairing:
    key: str
    pain_type: str
    system: str
    codes: frozenset[str]
    partner_codes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Criterion:
    """A verified measurement criterion: a value within its bounds, in `unit`, no older than
    `max_age_days`, shows `factor`."""

    key: str
    factor: str
    measurement: str
    system: str
    codes: frozenset[str]
    unit: str
    at_least: float | None
    at_most: float | None
    below: float | None
    max_age_days: int

    def shows(self, value: float) -> bool:
        return (
            (self.at_least is None or value >= self.at_least)
            and (self.at_most is None or value <= self.at_most)
            and (self.below is None or value < self.below)
        )


def _word(name: str) -> re.Pattern:
    # Names match whole words in any case: "morphine" in "Morphine sulfate 15 MG", never in
    # "hydromorphone".
    return re.compile(rf"(?<![a-z0-9]){re.escape(name.strip().lower())}(?![a-z0-9])")


@dataclass(frozen=True)
class Coding:
    named: dict[tuple[str, str], Named]
    pair_only: frozenset[tuple[str, str]]
    pairings: tuple[Pairing, ...]
    products_by_code: dict[str, frozenset[str]]
    product_names: tuple[tuple[re.Pattern, frozenset[str]], ...]
    ingredient_names: tuple[tuple[re.Pattern, frozenset[str]], ...]
    criteria: tuple[Criterion, ...]
    # Factors some verified condition code can show.
    coded_factors: frozenset[str]

    @classmethod
    def from_payload(cls, payload: dict) -> Coding:
        named: dict[tuple[str, str], Named] = {}
        for entry in payload.get("codes", {}).values():
            key = (entry["system"], normalise(entry["system"], entry["code"]))
            named[key] = Named(
                frozenset(entry["pain_types"]),
                frozenset(entry["drugs"]),
                frozenset(entry["factors"]),
            )
        pairings_data = payload.get("code_pairings", {})
        pair_only = frozenset(
            (pairing["system"], normalise(pairing["system"], code))
            for pairing in pairings_data.values()
            for code in (*pairing["codes"], *pairing["partner_codes"])
        )
        pairings = tuple(
            Pairing(
                key=key,
                pain_type=pairing["pain_type"],
                system=pairing["system"],
                codes=frozenset(normalise(pairing["system"], c) for c in pairing["codes"]),
                partner_codes=frozenset(
                    normalise(pairing["system"], c) for c in pairing["partner_codes"]
                ),
            )
            for key, pairing in sorted(pairings_data.items())
            if pairing["verified"] and pairing["codes"] and pairing["partner_codes"]
        )
        products = payload.get("medicinal_products", {})
        products_by_code: dict[str, frozenset[str]] = {}
        for product in products.values():
            if product["rxnorm"]:
                code = product["rxnorm"].strip()
                products_by_code[code] = products_by_code.get(code, frozenset()) | frozenset(
                    product["ingredients"]
                )
        ingredient_names: dict[str, frozenset[str]] = {}
        for drug in payload["vocabulary"]["drugs"]:
            name = drug["name"].strip().lower()
            ingredient_names[name] = ingredient_names.get(name, frozenset()) | {drug["slug"]}
        for entry in payload.get("codes", {}).values():
            if entry["system"] == "rxnorm" and entry["drugs"] and entry["display"].strip():
                name = entry["display"].strip().lower()
                ingredient_names[name] = ingredient_names.get(name, frozenset()) | frozenset(
                    entry["drugs"]
                )
        criteria = tuple(
            Criterion(
                key=key,
                factor=criterion["factor"],
                measurement=criterion["measurement"],
                system=criterion["system"],
                codes=frozenset(normalise(criterion["system"], c) for c in criterion["codes"]),
                unit=criterion["unit"].strip(),
                at_least=criterion["at_least"],
                at_most=criterion["at_most"],
                below=criterion["below"],
                max_age_days=criterion["max_age_days"],
            )
            for key, criterion in sorted(payload.get("observation_criteria", {}).items())
            if criterion["codes"]
            and criterion["unit"].strip()
            and criterion["max_age_days"] is not None
            and any(criterion[bound] is not None for bound in ("at_least", "at_most", "below"))
        )
        return cls(
            named=named,
            pair_only=pair_only,
            pairings=pairings,
            products_by_code=products_by_code,
            product_names=tuple(
                (_word(product["name"]), frozenset(product["ingredients"]))
                for _, product in sorted(products.items())
                if product["name"].strip()
            ),
            ingredient_names=tuple(
                (_word(name), drugs) for name, drugs in sorted(ingredient_names.items())
            ),
            criteria=criteria,
            coded_factors=frozenset(f for entry in named.values() for f in entry.factors),
        )

    # --- Lookups ----------------------------------------------------------------------------

    def name(self, system: str, code: str) -> Named:
        """Everything a code names, by the code itself or any ancestor. A code that belongs to a
        pairing (itself or by an ancestor) names no pain type on its own."""
        pain_types: set[str] = set()
        drugs: set[str] = set()
        factors: set[str] = set()
        paired = False
        for candidate in lineage(system, code):
            key = (system, candidate)
            paired = paired or key in self.pair_only
            entry = self.named.get(key)
            if entry is not None:
                pain_types |= entry.pain_types
                drugs |= entry.drugs
                factors |= entry.factors
        return Named(
            frozenset() if paired else frozenset(pain_types), frozenset(drugs), frozenset(factors)
        )

    @staticmethod
    def within(system: str, code: str, codes: frozenset[str]) -> bool:
        """Whether a code is one of `codes` or descends from one."""
        return any(candidate in codes for candidate in lineage(system, code))

    def paired_pain_types(self, codes: list[tuple[str, str]]) -> list[str]:
        """The pain types of the verified pairings that a record's condition codes complete."""
        found = []
        for pairing in self.pairings:
            own = [code for system, code in codes if system == pairing.system]
            if any(self.within(pairing.system, c, pairing.codes) for c in own) and any(
                self.within(pairing.system, c, pairing.partner_codes) for c in own
            ):
                found.append(pairing.pain_type)
        return found

    def medicine(self, codings: list[tuple[str, str]], texts: list[str]) -> frozenset[str]:
        """The drugs of one medicine: its RxNorm codes in the knowledge base and the product
        table first; failing those, product names, then ingredient names, in its texts."""
        by_code: set[str] = set()
        for system, code in codings:
            if system == "rxnorm":
                by_code |= self.name(system, code).drugs
                by_code |= self.products_by_code.get(code.strip(), frozenset())
        if by_code:
            return frozenset(by_code)
        lowered = [text.lower() for text in texts if text]
        for names in (self.product_names, self.ingredient_names):
            found = {
                drug
                for pattern, drugs in names
                if any(pattern.search(text) for text in lowered)
                for drug in drugs
            }
            if found:
                return frozenset(found)
        return frozenset()

    def criteria_for(self, factor: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.factor == factor)

    @property
    def measurements(self) -> dict[str, tuple[Criterion, ...]]:
        """The read criteria grouped by what they measure, for the discovery's prefetch."""
        grouped: dict[str, list[Criterion]] = {}
        for criterion in self.criteria:
            grouped.setdefault(criterion.measurement, []).append(criterion)
        return {name: tuple(items) for name, items in grouped.items()}


def coding_for(release: CompiledRelease) -> Coding:
    """The coding index of a release, built once per process (releases never change)."""
    return _coding_by_id(release.id)


@functools.lru_cache(maxsize=8)
def _coding_by_id(release_id: int) -> Coding:
    payload = Release.objects.only("payload").get(pk=release_id).payload
    return Coding.from_payload(payload)


def forget_coding() -> None:
    """Drop the cached indexes (tests)."""
    _coding_by_id.cache_clear()
