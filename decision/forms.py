"""The clinician form: raw query-string or POST data in, one validated `Inputs` out.

Every choice comes from the active release's compiled vocabulary, never from the database, so
building, validating and rendering the form costs no query. Field names and values are the
API's (`pain_type`, `analgesics`, `factors`; slugs), so a bookmarked query string reads like an
API request.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import BaseChoiceIterator

from decision.assessments import InvalidInputs, parse_inputs, shorten
from decision.engine import NMDAR_CLASS, CompiledRelease, Inputs, Vocabulary

OTHER_MEDICINES = "Other medicines"


def drug_groups(vocabulary: Vocabulary) -> list[tuple[str, list[tuple[str, str]]]]:
    """Drugs grouped by class, as (class name, [(slug, drug name), ...]) in vocabulary order.

    A drug with several classes is listed once, under its first class other than NMDA-receptor
    antagonist (classes in the vocabulary's alphabetical order): methadone sits with the opioids,
    where a clinician looks for it. Drugs whose only class is NMDAR antagonist form their own
    group, and drugs with no class at all (bupropion, quinidine: listed for their interactions)
    come last under "Other medicines". Grouping is for finding a drug quickly; the engine matches
    every class and property of every ticked drug, whichever group it is listed in.
    """
    groups: dict[str, list[tuple[str, str]]] = {
        drug_class.name: [] for drug_class in vocabulary.drug_classes.values()
    }
    other: list[tuple[str, str]] = []
    for slug, drug in vocabulary.drugs.items():
        primary = next(
            (
                drug_class.name
                for class_slug, drug_class in vocabulary.drug_classes.items()
                if class_slug in drug.classes and class_slug != NMDAR_CLASS
            ),
            None,
        )
        if primary is None and NMDAR_CLASS in drug.classes:
            primary = vocabulary.drug_classes[NMDAR_CLASS].name
        if primary is None:
            other.append((slug, drug.name))
        else:
            groups[primary].append((slug, drug.name))
    ordered = [(name, drugs) for name, drugs in groups.items() if drugs]
    if other:
        ordered.append((OTHER_MEDICINES, other))
    return ordered


class NormalChoices(BaseChoiceIterator):
    """Choices built in Django's normal form, (value, label) or (group, [(value, label), ...]).

    Django normalises a plain list on every assignment, for the field and again for its
    widget, walking each of the form's ~60 choices twice: three quarters of building the form.
    A choice iterator is taken as it is.
    """

    def __init__(self, choices: list):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


class ShortChoiceMixin:
    """A choice field whose "not one of the available choices" quotes at most 60 characters of
    what was sent: a tampered megabyte is not echoed back into the page."""

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as error:
            if error.code != "invalid_choice":
                raise
            params = {**error.params, "value": shorten(str(error.params["value"]))}
            raise ValidationError(error.message, code=error.code, params=params) from None


class ChoiceField(ShortChoiceMixin, forms.ChoiceField):
    pass


class MultipleChoiceField(ShortChoiceMixin, forms.MultipleChoiceField):
    pass


class HintedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose options carry a one-line hint (`option.hint` in the field template)."""

    def __init__(self, *args, hints: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hints = hints or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["hint"] = self.hints.get(str(value), "")
        return option


class AssessmentForm(forms.Form):
    # No `required` attribute in the HTML: the browser must not block a live update (htmx checks
    # validity first) when the pain type is cleared; the server answers "choose a pain type".
    use_required_attribute = False

    pain_type = ChoiceField(
        label="Pain type",
        help_text="The neuropathic pain the notes should be about.",
    )
    analgesics = MultipleChoiceField(
        label="Current analgesics and co-medications",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    factors = MultipleChoiceField(
        label="Patient factors",
        required=False,
        widget=HintedCheckboxes,
    )

    def __init__(self, release: CompiledRelease, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.release = release
        vocabulary = release.vocabulary
        self.fields["pain_type"].choices = NormalChoices(
            [
                ("", "Choose a pain type"),
                *((slug, term.name) for slug, term in vocabulary.pain_types.items()),
            ]
        )
        self.fields["analgesics"].choices = NormalChoices(drug_groups(vocabulary))
        self.fields["factors"].choices = NormalChoices(
            [(slug, term.name) for slug, term in vocabulary.patient_factors.items()]
        )
        # The plain-language hint under each factor is the factor's curated description.
        self.fields["factors"].widget.hints = {
            slug: term.description for slug, term in vocabulary.patient_factors.items()
        }
        self.helper = FormHelper()
        self.helper.form_tag = False  # the <form> and its hx- attributes live in the template
        self.helper.disable_csrf = True  # the form is sent by GET; htmx sends the token in a header
        # Which medicines interactions are checked against, under the list they are ticked in.
        self.fields["analgesics"].help_text = release.screened.statement
        # Factors before medicines: thirteen statements are quicker to pass than forty-odd
        # medicines, which the filter box finds by name.
        self.helper.layout = Layout(
            Field("pain_type"),
            Field("factors", template="decision/fields/factors.html"),
            Field("analgesics", template="decision/fields/analgesics.html"),
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["inputs"] = parse_inputs(
                self.release,
                cleaned.get("pain_type"),
                list(cleaned.get("analgesics", [])),
                list(cleaned.get("factors", [])),
            )
        except InvalidInputs as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned

    @property
    def inputs(self) -> Inputs:
        return self.cleaned_data["inputs"]

    def awaits_pain_type(self) -> bool:
        """Bound but not yet answerable only because no pain type is chosen (not an error)."""
        return list(self.errors) == ["pain_type"] and self.has_error("pain_type", "required")
