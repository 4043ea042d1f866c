"""What is known: the controlled vocabulary, the sources, and the curated evidence built on them.

Integrity lives in the database (unique natural keys, check constraints on every enumeration and
identifier), so that neither the admin, the reference import nor the knowledge-base loader can
store a record the rest of the app would misread. Curated records carry a draft/published status;
only published records reach a release.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from evidence import scales
from evidence.citations import vancouver_citation
from evidence.scales import NMDAR_CLASS

# For a foreign key to the NMDA-receptor antagonist a record is about: forms and the admin's
# autocomplete offer and accept only those drugs.
NMDAR_ONLY = {"classes__slug": NMDAR_CLASS}
SLUG_PATTERN = r"^[a-z0-9]+([_-][a-z0-9]+)*$"
PMID_PATTERN = r"^[0-9]+$"
# The same rules as the check constraints below, as validators: forms and the knowledge-base
# file check say what is wrong before the database would refuse it.
slug_format = RegexValidator(
    SLUG_PATTERN, "Use lower-case letters and digits, joined by single - or _ (e.g. zhou-2011)."
)
pmid_format = RegexValidator(PMID_PATTERN, "A PMID is digits only (e.g. 21686074).")
doi_format = RegexValidator(r"^10\.", "A DOI starts with 10. (e.g. 10.1586/ecp.11.17).")


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


def scale_choices(name: str, scale: dict[str, str]) -> type[models.TextChoices]:
    """Django choices for one of `evidence.scales`, which stays the single definition."""
    return models.TextChoices(
        name, [(value.upper(), (value, label)) for value, label in scale.items()]
    )


StudyType = scale_choices("StudyType", scales.STUDY_TYPES)
Direction = scale_choices("Direction", scales.DIRECTIONS)
Certainty = scale_choices("Certainty", scales.CERTAINTIES)
Severity = scale_choices("Severity", scales.SEVERITIES)
Population = scale_choices("Population", scales.POPULATIONS)


class CodeSystem(models.TextChoices):
    SNOMED_CT = "snomed_ct", "SNOMED CT"
    ICD10CM = "icd10cm", "ICD-10-CM"
    RXNORM = "rxnorm", "RxNorm"
    LOINC = "loinc", "LOINC"


def one_of(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


# --- Vocabulary -----------------------------------------------------------------------------


class VocabularyTerm(models.Model):
    slug = models.CharField(
        max_length=64,
        unique=True,
        validators=[slug_format],
        help_text="Stable identifier used by the form, the API and the rules. Never rename.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(
        blank=True, help_text="Plain-language description shown to clinicians as a hint."
    )

    class Meta:
        abstract = True
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slug__regex=SLUG_PATTERN), name="%(app_label)s_%(class)s_slug_format"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PainType(VocabularyTerm):
    history = HistoricalRecords()


class DrugClass(VocabularyTerm):
    history = HistoricalRecords()

    class Meta(VocabularyTerm.Meta):
        verbose_name_plural = "drug classes"


class DrugProperty(VocabularyTerm):
    history = HistoricalRecords()

    class Meta(VocabularyTerm.Meta):
        verbose_name_plural = "drug properties"


NOTHING_KNOWN_HELP = (
    "Tick when no note of the knowledge base depends on this input, so that the knowledge-base "
    "audit accepts it as screened with nothing known (docs/knowledge-base.md lists them)."
)


class PatientFactor(VocabularyTerm):
    nothing_known = models.BooleanField(
        default=False, verbose_name="screened, nothing known", help_text=NOTHING_KNOWN_HELP
    )
    history = HistoricalRecords()


class Drug(VocabularyTerm):
    classes = models.ManyToManyField(DrugClass, related_name="drugs", blank=True)
    properties = models.ManyToManyField(DrugProperty, related_name="drugs", blank=True)
    nothing_known = models.BooleanField(
        default=False, verbose_name="screened, nothing known", help_text=NOTHING_KNOWN_HELP
    )
    history = HistoricalRecords(m2m_fields=[classes, properties])

    @property
    def is_nmdar_antagonist(self) -> bool:
        return any(drug_class.slug == NMDAR_CLASS for drug_class in self.classes.all())


class ClinicalCode(models.Model):
    """A code in a standard terminology that names a pain type, a drug or a patient factor."""

    system = models.CharField(max_length=16, choices=CodeSystem.choices)
    code = models.CharField(max_length=32)
    display = models.CharField(max_length=300)
    verified = models.BooleanField(
        default=False, help_text="Checked against the terminology's own browser or release."
    )
    note = models.TextField(blank=True)
    pain_types = models.ManyToManyField(PainType, related_name="codes", blank=True)
    drugs = models.ManyToManyField(Drug, related_name="codes", blank=True)
    factors = models.ManyToManyField(PatientFactor, related_name="codes", blank=True)
    history = HistoricalRecords(m2m_fields=[pain_types, drugs, factors])

    class Meta:
        ordering = ["system", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "code"], name="clinicalcode_unique_in_system"
            ),
            one_of("system", CodeSystem, "clinicalcode_system_valid"),
            models.CheckConstraint(condition=~Q(code=""), name="clinicalcode_code_present"),
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.code} {self.display}"


# --- Curated records ------------------------------------------------------------------------


class Curation(models.Model):
    """Holds the reviewers' permission to publish (evidence/roles.py); it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("publish", "Can publish records and knowledge-base releases, and roll back"),
        ]

    def __str__(self) -> str:
        return "curation"


class CuratedQuerySet(models.QuerySet):
    def overdue(self):
        """Records whose review date has passed."""
        return self.filter(review_due__lt=timezone.localdate())


class CuratedRecord(models.Model):
    """Status, authorship and review dates shared by every curated record."""

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    changed_at = models.DateTimeField(auto_now=True)
    last_reviewed = models.DateField(null=True, blank=True)
    review_due = models.DateField(
        null=True, blank=True, help_text="When a reviewer should next check this record."
    )

    objects = CuratedQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [one_of("status", Status, "%(app_label)s_%(class)s_status_valid")]

    @property
    def is_review_overdue(self) -> bool:
        return self.review_due is not None and self.review_due < timezone.localdate()


class Source(CuratedRecord):
    key = models.CharField(
        max_length=80,
        unique=True,
        validators=[slug_format],
        help_text="Short stable key, e.g. zhou-2011.",
    )
    authors = models.TextField(blank=True, help_text="Vancouver style: Zhou HY, Chen SR, Pan HL")
    title = models.TextField()
    journal = models.CharField(max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    volume = models.CharField(max_length=32, blank=True)
    issue = models.CharField(max_length=32, blank=True)
    pages = models.CharField(max_length=32, blank=True)
    doi = models.CharField(max_length=200, blank=True, validators=[doi_format], verbose_name="DOI")
    pmid = models.CharField(
        max_length=12, blank=True, validators=[pmid_format], verbose_name="PMID"
    )
    url = models.URLField(max_length=500, blank=True, verbose_name="URL")
    study_type = models.CharField(max_length=24, choices=StudyType.choices)
    population = models.TextField(blank=True)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(
        blank=True, help_text="Curator notes: what is missing, uncertain or still to confirm."
    )
    is_founding_review = models.BooleanField(
        default=False, help_text="The review this knowledge base was founded on."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        constraints = [
            *CuratedRecord.Meta.constraints,
            one_of("study_type", StudyType, "source_study_type_valid"),
            models.CheckConstraint(condition=Q(key__regex=SLUG_PATTERN), name="source_key_format"),
            models.CheckConstraint(
                condition=Q(pmid="") | Q(pmid__regex=PMID_PATTERN), name="source_pmid_digits"
            ),
            models.CheckConstraint(
                condition=Q(doi="") | Q(doi__startswith="10."), name="source_doi_prefix"
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="source_year_range",
            ),
            models.UniqueConstraint(
                fields=["pmid"], condition=~Q(pmid=""), name="source_pmid_unique"
            ),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="source_doi_unique"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def citation(self) -> str:
        return vancouver_citation(
            authors=self.authors,
            title=self.title,
            journal=self.journal,
            year=self.year,
            volume=self.volume,
            issue=self.issue,
            pages=self.pages,
        )


class Finding(CuratedRecord):
    """What the evidence says about one NMDAR antagonist (or the whole class) in one pain type."""

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    drug = models.ForeignKey(
        Drug,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
        limit_choices_to=NMDAR_ONLY,
        help_text="Leave empty for a finding about NMDA-receptor antagonists as a class.",
    )
    product = models.CharField(
        max_length=120, blank=True, help_text="A specific product, e.g. dextromethorphan/quinidine."
    )
    pain_type = models.ForeignKey(PainType, on_delete=models.PROTECT, related_name="findings")
    condition_scope = models.CharField(
        max_length=300,
        blank=True,
        help_text="When the population is not exactly this pain type (mixed, non-neuropathic).",
    )
    population = models.CharField(
        max_length=24, choices=Population.choices, default=Population.PATIENTS
    )
    direction = models.CharField(max_length=16, choices=Direction.choices)
    certainty = models.CharField(max_length=16, choices=Certainty.choices)
    certainty_reason = models.TextField()
    summary = models.TextField()
    sources = models.ManyToManyField(Source, related_name="findings", blank=True)
    history = HistoricalRecords(m2m_fields=[sources])

    class Meta:
        ordering = ["key"]
        constraints = [
            *CuratedRecord.Meta.constraints,
            one_of("direction", Direction, "finding_direction_valid"),
            one_of("certainty", Certainty, "finding_certainty_valid"),
            one_of("population", Population, "finding_population_valid"),
            models.CheckConstraint(condition=Q(key__regex=SLUG_PATTERN), name="finding_key_format"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_class_level(self) -> bool:
        return self.drug_id is None


class SafetyConcern(CuratedRecord):
    """A risk of one NMDAR antagonist, triggered by patient factors or current medicines."""

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    drug = models.ForeignKey(
        Drug,
        on_delete=models.PROTECT,
        related_name="safety_concerns",
        limit_choices_to=NMDAR_ONLY,
    )
    product = models.CharField(max_length=120, blank=True)
    concern = models.CharField(max_length=200, help_text="The risk in a few words.")
    applies_when = models.TextField(help_text="When the risk applies, in the source's terms.")
    severity = models.CharField(max_length=16, choices=Severity.choices)
    summary = models.TextField()
    sources = models.ManyToManyField(Source, related_name="safety_concerns", blank=True)
    trigger_factors = models.ManyToManyField(
        PatientFactor, related_name="safety_concerns", blank=True, verbose_name="patient factors"
    )
    trigger_drugs = models.ManyToManyField(
        Drug, related_name="triggered_safety_concerns", blank=True, verbose_name="current drugs"
    )
    trigger_classes = models.ManyToManyField(
        DrugClass, related_name="safety_concerns", blank=True, verbose_name="current drug classes"
    )
    trigger_properties = models.ManyToManyField(
        DrugProperty,
        related_name="safety_concerns",
        blank=True,
        verbose_name="current drug properties",
    )
    history = HistoricalRecords(
        m2m_fields=[sources, trigger_factors, trigger_drugs, trigger_classes, trigger_properties]
    )

    class Meta:
        ordering = ["key"]
        verbose_name = "safety concern"
        constraints = [
            *CuratedRecord.Meta.constraints,
            one_of("severity", Severity, "safetyconcern_severity_valid"),
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="safetyconcern_key_format"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Combination(CuratedRecord):
    """Evidence on adding an NMDAR antagonist to another medicine or class."""

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    nmdar_drug = models.ForeignKey(
        Drug,
        on_delete=models.PROTECT,
        related_name="combinations",
        limit_choices_to=NMDAR_ONLY,
        verbose_name="NMDAR antagonist",
    )
    product = models.CharField(max_length=120, blank=True)
    partner = models.CharField(
        max_length=200, help_text="What it is combined with, in words, e.g. opioid (morphine)."
    )
    partner_drugs = models.ManyToManyField(Drug, related_name="+", blank=True)
    partner_classes = models.ManyToManyField(DrugClass, related_name="+", blank=True)
    partner_properties = models.ManyToManyField(DrugProperty, related_name="+", blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    summary = models.TextField()
    sources = models.ManyToManyField(Source, related_name="combinations", blank=True)
    related_safety = models.ManyToManyField(SafetyConcern, related_name="combinations", blank=True)
    history = HistoricalRecords(
        m2m_fields=[sources, partner_drugs, partner_classes, partner_properties, related_safety]
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            *CuratedRecord.Meta.constraints,
            one_of("direction", Direction, "combination_direction_valid"),
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="combination_key_format"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Conflict(CuratedRecord):
    """Where the founding review's claim and later evidence disagree."""

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    topic = models.CharField(max_length=200)
    summary = models.TextField()
    pain_types = models.ManyToManyField(
        PainType, related_name="conflicts", blank=True, help_text="Empty: concerns every pain type."
    )
    drugs = models.ManyToManyField(
        Drug, related_name="conflicts", blank=True, help_text="Empty: concerns the whole class."
    )
    sources = models.ManyToManyField(Source, related_name="conflicts", blank=True)
    history = HistoricalRecords(m2m_fields=[pain_types, drugs, sources])

    class Meta:
        ordering = ["key"]
        constraints = [
            *CuratedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="conflict_key_format"
            ),
        ]

    def __str__(self) -> str:
        return self.key


# --- Reading coded records (the CDS Hooks service) ------------------------------------------


def validate_code_list(value) -> None:
    """A list of codes as a terminology writes them ("G90.51", "T45.1X5-"): no blanks, no
    spaces, no duplicates."""
    if not isinstance(value, list):
        raise ValidationError("Give a list of codes.")
    for code in value:
        if not isinstance(code, str) or not code or len(code) > 32 or code != code.strip():
            raise ValidationError(f"{code!r} is not a code (1 to 32 characters, no spaces).")
        if any(character.isspace() for character in code):
            raise ValidationError(f"{code!r} is not a code (no spaces).")
    if len(set(value)) != len(value):
        raise ValidationError("A code is listed twice.")


def _code_list(help_text: str) -> models.JSONField:
    return models.JSONField(
        default=list, blank=True, validators=[validate_code_list], help_text=help_text
    )


class CodePairing(models.Model):
    """Two codes that name a pain type only together, e.g. HIV disease (B20) with polyneuropathy
    in diseases classified elsewhere (G63).

    Every code named here, verified or not, never names a pain type on its own: a record with
    B20 alone is not HIV neuropathy. A verified pairing matches when the record has one of
    `codes` and one of `partner_codes` (each by the code or any ancestor). An empty partner list
    means the partners are not curated yet: the pairing then matches nothing.
    """

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    pain_type = models.ForeignKey(PainType, on_delete=models.PROTECT, related_name="code_pairings")
    system = models.CharField(max_length=16, choices=CodeSystem.choices, default=CodeSystem.ICD10CM)
    codes = _code_list("Codes of which the record needs one, e.g. B20.")
    partner_codes = _code_list(
        "Together with one of these, e.g. G63. Empty: not curated yet (matches nothing)."
    )
    verified = models.BooleanField(
        default=False,
        help_text="The pairing convention was checked in a coding source. Only verified "
        "pairings name a pain type.",
    )
    note = models.TextField(blank=True, help_text="Provenance: where the pairing was read.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = "code pairing"
        constraints = [
            one_of("system", CodeSystem, "codepairing_system_valid"),
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="codepairing_key_format"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class MedicinalProduct(models.Model):
    """A product (a brand, or a multi-ingredient RxNorm concept) and the ingredients it contains,
    with the source it was read in: how a prescribed NUEDEXTA becomes dextromethorphan and
    quinidine."""

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    name = models.CharField(
        max_length=200, help_text="Matched on word boundaries in a medicine's name, any case."
    )
    rxnorm = models.CharField(
        max_length=32,
        blank=True,
        verbose_name="RxNorm code",
        help_text="The product's RxCUI, if one was verified; '' when not known.",
    )
    ingredients = models.ManyToManyField(Drug, related_name="products")
    sources = models.ManyToManyField(Source, related_name="products", blank=True)
    verified = models.BooleanField(
        default=False, help_text="The ingredients were read in the cited source."
    )
    note = models.TextField(blank=True)
    history = HistoricalRecords(m2m_fields=[ingredients, sources])

    class Meta:
        ordering = ["key"]
        verbose_name = "medicinal product"
        constraints = [
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="medicinalproduct_key_format"
            ),
            models.CheckConstraint(
                condition=Q(rxnorm="") | Q(rxnorm__regex=r"^[0-9]+$"),
                name="medicinalproduct_rxnorm_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ObservationCriterion(models.Model):
    """When a measurement in the record shows a patient factor: which codes, in which unit,
    how recent, and the range of values (e.g. eGFR below 30: severe renal impairment).

    Only a verified criterion with codes, a unit, a look-back period and a bound is read; until
    then its factor is reported as not assessed from observations, never as absent.
    """

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    factor = models.ForeignKey(
        PatientFactor, on_delete=models.PROTECT, related_name="observation_criteria"
    )
    measurement = models.CharField(max_length=80, help_text="What is measured, e.g. eGFR.")
    system = models.CharField(max_length=16, choices=CodeSystem.choices, default=CodeSystem.LOINC)
    codes = _code_list("The measurement's codes in that system.")
    unit = models.CharField(
        max_length=40,
        blank=True,
        help_text="The unit the bounds are in (UCUM code or unit text); other units are not read.",
    )
    # Bounds as the factor's name states them: "eGFR below 30" is `below` 30, "eGFR 30-59" is
    # `at_least` 30 and `at_most` 59.
    at_least = models.FloatField(null=True, blank=True, help_text="The value is this or more.")
    at_most = models.FloatField(null=True, blank=True, help_text="The value is this or less.")
    below = models.FloatField(null=True, blank=True, help_text="The value is less than this.")
    max_age_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="look-back (days)",
        help_text="How old a measurement may be and still count.",
    )
    verified = models.BooleanField(
        default=False, help_text="Codes, unit, bounds and look-back were checked."
    )
    note = models.TextField(blank=True, help_text="Provenance of the bounds and codes.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = "observation criterion"
        verbose_name_plural = "observation criteria"
        constraints = [
            one_of("system", CodeSystem, "observationcriterion_system_valid"),
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="observationcriterion_key_format"
            ),
            models.CheckConstraint(
                condition=Q(verified=False)
                | (
                    ~Q(unit="")
                    & Q(max_age_days__isnull=False)
                    & (
                        Q(at_least__isnull=False)
                        | Q(at_most__isnull=False)
                        | Q(below__isnull=False)
                    )
                ),
                name="observationcriterion_verified_complete",
            ),
            models.CheckConstraint(
                condition=Q(at_most__isnull=True) | Q(below__isnull=True),
                name="observationcriterion_one_upper_bound",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_complete(self) -> bool:
        """Everything needed to read a measurement is curated."""
        return bool(
            self.verified
            and self.codes
            and self.unit
            and self.max_age_days is not None
            and any(bound is not None for bound in (self.at_least, self.at_most, self.below))
        )
