"""factory_boy factories for the evidence and decision models.

Many-to-many fields take lists of objects: `DrugFactory(classes=[opioid])`.
"""

import factory
from django.contrib.auth import get_user_model

from decision import models as decision
from evidence import models as evidence


def _many(*names):
    """post_generation hooks that set many-to-many fields from lists passed to the factory."""
    hooks = {}
    for name in names:

        def hook(obj, create, extracted, _name=name, **kwargs):
            if create and extracted:
                getattr(obj, _name).set(extracted)

        hooks[name] = factory.PostGeneration(hook)
    return hooks


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-test-password")
    is_staff = True


class PainTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = evidence.PainType
        skip_postgeneration_save = True
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"pain_type_{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("_", " ").capitalize())


class DrugClassFactory(PainTypeFactory):
    class Meta:
        model = evidence.DrugClass
        skip_postgeneration_save = True
        django_get_or_create = ("slug",)


class DrugPropertyFactory(PainTypeFactory):
    class Meta:
        model = evidence.DrugProperty
        skip_postgeneration_save = True
        django_get_or_create = ("slug",)


class PatientFactorFactory(PainTypeFactory):
    class Meta:
        model = evidence.PatientFactor
        skip_postgeneration_save = True
        django_get_or_create = ("slug",)


class DrugFactory(PainTypeFactory):
    class Meta:
        model = evidence.Drug
        skip_postgeneration_save = True
        django_get_or_create = ("slug",)

    locals().update(_many("classes", "properties"))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = evidence.Source
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"source-{n}")
    authors = "Doe J, Roe R"
    title = factory.Sequence(lambda n: f"A trial number {n}")
    journal = "Pain"
    year = 2010
    study_type = evidence.StudyType.RCT
    status = evidence.Status.PUBLISHED


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = evidence.Finding
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"finding-{n}")
    drug = None
    pain_type = factory.SubFactory(PainTypeFactory)
    direction = evidence.Direction.BENEFIT
    certainty = evidence.Certainty.LOW
    certainty_reason = "Small trials."
    summary = "A small trial found short-term relief."
    status = evidence.Status.PUBLISHED
    locals().update(_many("sources"))


class SafetyConcernFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = evidence.SafetyConcern
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"safety-{n}")
    concern = "a risk"
    applies_when = "always"
    severity = evidence.Severity.HIGH
    summary = "Labelling describes a risk."
    status = evidence.Status.PUBLISHED
    locals().update(
        _many(
            "sources", "trigger_factors", "trigger_drugs", "trigger_classes", "trigger_properties"
        )
    )


class CombinationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = evidence.Combination
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"combination-{n}")
    partner = "an opioid"
    direction = evidence.Direction.MIXED
    summary = "Trials disagree."
    status = evidence.Status.PUBLISHED
    locals().update(
        _many("sources", "partner_drugs", "partner_classes", "partner_properties", "related_safety")
    )


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = evidence.Conflict
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"conflict-{n}")
    topic = "A topic"
    summary = "The review and later evidence disagree."
    status = evidence.Status.PUBLISHED
    locals().update(_many("sources", "pain_types", "drugs"))


def _conditions():
    """Hooks that add a rule's conditions from lists: `RuleFactory(any_classes=[opioid])`."""
    hooks = {}
    for group in decision.ConditionGroup.values:
        for part, target in decision.CONDITION_TARGETS.items():

            def hook(obj, create, extracted, _group=group, _target=target, **kwargs):
                for item in extracted or () if create else ():
                    decision.Condition.objects.create(rule=obj, group=_group, **{_target: item})

            hooks[f"{group}_{part}"] = factory.PostGeneration(hook)
    return hooks


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = decision.Rule
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"rule-{n}")
    kind = decision.NoteKind.CONTEXT
    title = factory.Sequence(lambda n: f"Rule {n}")
    text = "What the evidence says."
    status = evidence.Status.PUBLISHED
    locals().update(_many("pain_types", *decision.CITATION_FIELDS))
    locals().update(_conditions())


class CuratorCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = decision.CuratorCase
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"case-{n}")
    title = factory.Sequence(lambda n: f"Case {n}")
    pain_type = factory.SubFactory(PainTypeFactory)
    status = evidence.Status.PUBLISHED
    locals().update(_many("analgesics", "factors"))


class ExpectationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = decision.Expectation
        skip_postgeneration_save = True

    case = factory.SubFactory(CuratorCaseFactory)
    outcome = decision.Outcome.PRESENT
    kind = decision.NoteKind.SUITABILITY
