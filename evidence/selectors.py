"""Read functions over the evidence models, used by views, the admin and the release compiler."""

from django.db.models import Prefetch, QuerySet

from evidence.models import (
    Combination,
    Conflict,
    Drug,
    DrugClass,
    DrugProperty,
    Finding,
    PainType,
    PatientFactor,
    SafetyConcern,
    Source,
    Status,
)

_SLUG_ONLY = {
    model: model.objects.only("id", "slug")
    for model in (PainType, Drug, DrugClass, DrugProperty, PatientFactor)
}


def _slugs(field: str, model) -> Prefetch:
    return Prefetch(field, queryset=_SLUG_ONLY[model].order_by("slug"))


def _keys(field: str, model) -> Prefetch:
    return Prefetch(field, queryset=model.objects.only("id", "key").order_by("key"))


def pain_types() -> QuerySet[PainType]:
    return PainType.objects.order_by("slug")


def drug_classes() -> QuerySet[DrugClass]:
    return DrugClass.objects.order_by("slug")


def drug_properties() -> QuerySet[DrugProperty]:
    return DrugProperty.objects.order_by("slug")


def patient_factors() -> QuerySet[PatientFactor]:
    return PatientFactor.objects.order_by("slug")


def drugs() -> QuerySet[Drug]:
    return Drug.objects.order_by("slug").prefetch_related(
        _slugs("classes", DrugClass), _slugs("properties", DrugProperty)
    )


def sources(*, published_only: bool = False) -> QuerySet[Source]:
    queryset = Source.objects.order_by("key")
    return queryset.filter(status=Status.PUBLISHED) if published_only else queryset


def findings(*, published_only: bool = False) -> QuerySet[Finding]:
    queryset = (
        Finding.objects.order_by("key")
        .select_related("drug", "pain_type")
        .prefetch_related(_keys("sources", Source))
    )
    return queryset.filter(status=Status.PUBLISHED) if published_only else queryset


def safety_concerns(*, published_only: bool = False) -> QuerySet[SafetyConcern]:
    queryset = (
        SafetyConcern.objects.order_by("key")
        .select_related("drug")
        .prefetch_related(
            _keys("sources", Source),
            _slugs("trigger_factors", PatientFactor),
            _slugs("trigger_drugs", Drug),
            _slugs("trigger_classes", DrugClass),
            _slugs("trigger_properties", DrugProperty),
        )
    )
    return queryset.filter(status=Status.PUBLISHED) if published_only else queryset


def combinations(*, published_only: bool = False) -> QuerySet[Combination]:
    queryset = (
        Combination.objects.order_by("key")
        .select_related("nmdar_drug")
        .prefetch_related(
            _keys("sources", Source),
            _keys("related_safety", SafetyConcern),
            _slugs("partner_drugs", Drug),
            _slugs("partner_classes", DrugClass),
            _slugs("partner_properties", DrugProperty),
        )
    )
    return queryset.filter(status=Status.PUBLISHED) if published_only else queryset


def conflicts(*, published_only: bool = False) -> QuerySet[Conflict]:
    queryset = Conflict.objects.order_by("key").prefetch_related(
        _keys("sources", Source), _slugs("pain_types", PainType), _slugs("drugs", Drug)
    )
    return queryset.filter(status=Status.PUBLISHED) if published_only else queryset


def slugs(related) -> list[str]:
    """Slugs of a prefetched relation, in slug order."""
    return [item.slug for item in related.all()]


def keys(related) -> list[str]:
    """Keys of a prefetched relation, in key order."""
    return [item.key for item in related.all()]
