"""Admin forms for curated records: the checks that keep a save from failing in the database.

The database refuses a published record without sources (deferred triggers on PostgreSQL) and a
rule whose scale does not fit its kind (check constraints); these forms catch both first with a
readable message. They also apply the publishing role (evidence/roles.py): only a reviewer may
publish a record or change one that is published.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property

from evidence.models import NMDAR_CLASS, CuratedRecord, Source, Status
from evidence.references import MAX_BYTES, TOO_LARGE
from evidence.roles import can_publish, is_locked

NOT_NMDAR = (
    f"Choose an NMDA-receptor antagonist: only drugs of the class '{NMDAR_CLASS}' can be chosen "
    "here."
)


def _keys(records) -> str:
    return ", ".join(str(record) for record in records)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


class CuratedRecordForm(forms.ModelForm):
    """Base form for every model with a draft/published status.

    `user` is set by the admin (`CuratedRecordAdmin.get_form`) on the form class it builds.
    `nmdar_fields` names the foreign keys to drugs that must be NMDA-receptor antagonists (the
    model limits their choices; the form says so in words). `cited_fields` names the
    many-to-many fields to the records this one cites: once published it must cite at least
    one record (see `needs_citation`), and only published ones.
    """

    user = None
    nmdar_fields: tuple[str, ...] = ()
    cited_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.nmdar_fields:
            if name in self.fields:
                self.fields[name].error_messages["invalid_choice"] = NOT_NMDAR

    def clean(self):
        cleaned = super().clean()
        self._check_role(cleaned)
        if cleaned.get("status") == Status.PUBLISHED:
            self._check_citations(cleaned)
        return cleaned

    @cached_property
    def stored_status(self) -> str | None:
        """The record's status as stored; None for a new record.

        Read from the database: on a history revert `self.instance` carries the old status.
        """
        instance = self.instance
        if instance.pk is None:
            return None
        stored = type(instance)._default_manager.filter(pk=instance.pk)
        return stored.values_list("status", flat=True).first()

    def record_name(self, cleaned) -> str:
        """What the messages call this record."""
        return self._meta.model._meta.verbose_name

    def needs_citation(self, cleaned) -> bool:
        """Whether this record, published, must cite at least one record."""
        return True

    def _check_role(self, cleaned) -> None:
        if is_locked(self.stored_status, self.user):
            raise ValidationError(
                "This record is published, so only a reviewer can change it. Ask a reviewer "
                "to make the change, or to set the record back to draft for you.",
                code="published_needs_reviewer",
            )
        if cleaned.get("status") == Status.PUBLISHED and not can_publish(self.user):
            self.add_error(
                "status",
                ValidationError(
                    "A reviewer must publish this record. Save it as a draft and ask a "
                    "reviewer to publish it.",
                    code="reviewer_must_publish",
                ),
            )

    def _check_citations(self, cleaned) -> None:
        fields = [name for name in self.cited_fields if name in self.fields]
        if not fields:
            return
        name = self.record_name(cleaned)
        cited = {field: self._meta.model._meta.get_field(field).related_model for field in fields}
        for field, model in cited.items():
            drafts = [r for r in cleaned.get(field) or () if r.status != Status.PUBLISHED]
            if drafts:
                self.add_error(
                    field,
                    ValidationError(
                        f"A published {name} may cite only published "
                        f"{model._meta.verbose_name_plural}; these are drafts: {_keys(drafts)}. "
                        f"Publish them first or save this {name} as a draft.",
                        code="draft_citation",
                    ),
                )
        if any(field not in cleaned for field in fields):  # a field has its own error already
            return
        if self.needs_citation(cleaned) and not any(cleaned[field] for field in fields):
            kinds = _either([model._meta.verbose_name for model in cited.values()])
            self.add_error(
                fields[0] if len(fields) == 1 else None,
                ValidationError(
                    f"A published {name} must cite at least one {kinds}. Add one or save it as "
                    "a draft.",
                    code="needs_citation",
                ),
            )


class FindingForm(CuratedRecordForm):
    nmdar_fields = ("drug",)
    cited_fields = ("sources",)


class SafetyConcernForm(CuratedRecordForm):
    nmdar_fields = ("drug",)
    cited_fields = ("sources",)


class CombinationForm(CuratedRecordForm):
    nmdar_fields = ("nmdar_drug",)
    cited_fields = ("sources",)


class ConflictForm(CuratedRecordForm):
    cited_fields = ("sources",)


def citing_relations() -> list[tuple[str, str]]:
    """How curated records cite a source: (the relation's name on Source, the record's name)."""
    return [
        (relation.get_accessor_name(), relation.related_model._meta.verbose_name)
        for relation in Source._meta.related_objects
        if issubclass(relation.related_model, CuratedRecord)
    ]


class SourceForm(CuratedRecordForm):
    url = forms.URLField(label="URL", max_length=500, required=False, assume_scheme="https")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Status.DRAFT and self.stored_status == Status.PUBLISHED:
            citing = [
                f"{label} {record.key}"
                for relation, label in citing_relations()
                for record in getattr(self.instance, relation).filter(status=Status.PUBLISHED)
            ]
            if citing:
                self.add_error(
                    "status",
                    ValidationError(
                        "Published records cite this source, so it must stay published: "
                        f"{', '.join(citing)}. Set them back to draft or cite another source "
                        "first.",
                        code="source_still_cited",
                    ),
                )
        return cleaned


class ReferenceImportForm(forms.Form):
    file = forms.FileField(
        label="Reference file",
        help_text="A RIS (.ris), PubMed/MEDLINE (.nbib) or BibTeX (.bib) export.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:  # checked before the file is read into memory
            raise ValidationError(TOO_LARGE)
        return upload


# --- Coded records read by the CDS Hooks service -----------------------------------------------


class CodeListField(forms.CharField):
    """A list of codes typed as "B20, G63" (commas or spaces between them)."""

    widget = forms.TextInput(attrs={"size": 60})

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return [code for code in text.replace(",", " ").split() if code]


class _CodeListForm(forms.ModelForm):
    code_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.code_fields:
            model_field = self._meta.model._meta.get_field(name)
            self.fields[name] = CodeListField(
                required=False, help_text=model_field.help_text, label=model_field.verbose_name
            )


class CodePairingForm(_CodeListForm):
    code_fields = ("codes", "partner_codes")


class ObservationCriterionForm(_CodeListForm):
    code_fields = ("codes",)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("verified"):
            missing = [
                label
                for name, label in (
                    ("codes", "codes"),
                    ("unit", "a unit"),
                    ("max_age_days", "a look-back"),
                )
                if cleaned.get(name) in (None, "", [])
            ]
            if all(cleaned.get(name) is None for name in ("at_least", "at_most", "below")):
                missing.append("a bound")
            if missing:
                needs = (
                    missing[0]
                    if len(missing) == 1
                    else f"{', '.join(missing[:-1])} and {missing[-1]}"
                )
                raise ValidationError(
                    f"A verified criterion needs {needs} before it can be read; leave it "
                    "unverified until then."
                )
        if cleaned.get("at_most") is not None and cleaned.get("below") is not None:
            raise ValidationError("Give one upper bound: at most, or below.")
        return cleaned
