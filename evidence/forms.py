"""Admin forms for curated records: the checks that keep a save from failing in the database.

The database refuses a published record without sources (deferred triggers on PostgreSQL) and a
rule whose scale does not fit its kind (check constraints); these forms catch both first with a
readable message. They also hold the publishing role: only a reviewer (permission
`decision.publish_release`) may publish a record or change one that is published.
"""

from django import forms
from django.core.exceptions import ValidationError

from evidence.models import NMDAR_CLASS, Status
from evidence.references import MAX_BYTES

PUBLISH_PERMISSION = "decision.publish_release"


def can_publish(user) -> bool:
    return user is not None and user.has_perm(PUBLISH_PERMISSION)


def _keys(records) -> str:
    return ", ".join(str(record) for record in records)


class CuratedRecordForm(forms.ModelForm):
    """Base form for every model with a draft/published status.

    `user` is set by the admin (`CuratedRecordAdmin.get_form`) on the form class it builds.
    `nmdar_fields` names the foreign keys to drugs that must be NMDA-receptor antagonists.
    """

    user = None
    nmdar_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        self._check_role(cleaned)
        self._check_nmdar_drugs(cleaned)
        if cleaned.get("status") == Status.PUBLISHED and "sources" in self.fields:
            self._check_sources(cleaned)
        return cleaned

    def stored_as_published(self) -> bool:
        # Read the stored row: on a history revert `self.instance` carries the old status.
        instance = self.instance
        if instance.pk is None:
            return False
        model = type(instance)
        return model._default_manager.filter(pk=instance.pk, status=Status.PUBLISHED).exists()

    def _check_role(self, cleaned) -> None:
        if can_publish(self.user):
            return
        if self.stored_as_published():
            raise ValidationError(
                "This record is published, so only a reviewer can change it. Ask a reviewer "
                "to make the change, or to set the record back to draft for you.",
                code="published_needs_reviewer",
            )
        if cleaned.get("status") == Status.PUBLISHED:
            self.add_error(
                "status",
                ValidationError(
                    "A reviewer must publish this record. Save it as a draft and ask a "
                    "reviewer to publish it.",
                    code="reviewer_must_publish",
                ),
            )

    def _check_nmdar_drugs(self, cleaned) -> None:
        for name in self.nmdar_fields:
            drug = cleaned.get(name)
            if drug is not None and not drug.is_nmdar_antagonist:
                self.add_error(
                    name,
                    ValidationError(
                        f"{drug} is not an NMDA-receptor antagonist (it lacks the drug class "
                        f"'{NMDAR_CLASS}'). Choose an NMDA-receptor antagonist.",
                        code="not_nmdar",
                    ),
                )

    def _check_sources(self, cleaned) -> None:
        sources = cleaned.get("sources")
        if sources is None:  # the field has its own error already
            return
        name = self._meta.model._meta.verbose_name
        if not sources:
            self.add_error(
                "sources",
                ValidationError(
                    f"A published {name} must cite at least one source. Add a source or save "
                    "it as a draft.",
                    code="needs_source",
                ),
            )
            return
        drafts = [source for source in sources if source.status != Status.PUBLISHED]
        if drafts:
            self.add_error(
                "sources",
                ValidationError(
                    f"A published {name} may cite only published sources; these are drafts: "
                    f"{_keys(drafts)}. Publish them first or save this {name} as a draft.",
                    code="draft_source",
                ),
            )


class FindingForm(CuratedRecordForm):
    nmdar_fields = ("drug",)


class SafetyConcernForm(CuratedRecordForm):
    nmdar_fields = ("drug",)


class CombinationForm(CuratedRecordForm):
    nmdar_fields = ("nmdar_drug",)


class ConflictForm(CuratedRecordForm):
    pass


class SourceForm(CuratedRecordForm):
    url = forms.URLField(label="URL", max_length=500, required=False, assume_scheme="https")
    CITED_BY = (
        ("findings", "finding"),
        ("safety_concerns", "safety concern"),
        ("combinations", "combination"),
        ("conflicts", "conflict"),
        ("rules", "rule"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == Status.DRAFT and self.stored_as_published():
            citing = [
                f"{label} {record.key}"
                for relation, label in self.CITED_BY
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
        if upload.size > MAX_BYTES:
            # Checked before the file is read into memory.
            raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        return upload
