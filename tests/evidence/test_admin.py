"""The evidence admin: who may do what, validation messages, history, review dates."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from evidence.models import ClinicalCode, Source, Status
from tests import factories as f
from tests.admin_helpers import change_url, errors_of, form_data, post_change

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def nmdar(db):
    nmdar_class = f.DrugClassFactory(slug="nmdar_antagonist", name="NMDA-receptor antagonist")
    opioid = f.DrugClassFactory(slug="opioid", name="Opioid")
    return {
        "ketamine": f.DrugFactory(slug="ketamine", name="Ketamine", classes=[nmdar_class]),
        "morphine": f.DrugFactory(slug="morphine", name="Morphine", classes=[opioid]),
    }


@pytest.fixture
def draft_finding(nmdar):
    return f.FindingFactory(
        key="ketamine-crps",
        drug=nmdar["ketamine"],
        status=Status.DRAFT,
        sources=[f.SourceFactory(key="trial-2009")],
    )


# --- Who reaches the admin ------------------------------------------------------------------


def test_it_redirects_an_anonymous_visitor_to_the_login_page(client, db):
    response = client.get(reverse("admin:evidence_source_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_refuses_a_signed_in_user_who_is_not_staff(client, db):
    client.force_login(f.UserFactory(username="clinician", is_staff=False))
    response = client.get(reverse("admin:evidence_source_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_it_refuses_staff_without_any_curation_permission(client, db):
    client.force_login(f.UserFactory(username="staff-only"))
    response = client.get(reverse("admin:evidence_finding_changelist"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "paintype",
        "drugclass",
        "drugproperty",
        "patientfactor",
        "drug",
        "clinicalcode",
        "source",
        "finding",
        "safetyconcern",
        "combination",
        "conflict",
    ],
)
def test_it_lets_a_curator_list_and_add_every_evidence_model(curator_client, model):
    changelist = curator_client.get(reverse(f"admin:evidence_{model}_changelist"))
    add = curator_client.get(reverse(f"admin:evidence_{model}_add"))
    assert (changelist.status_code, add.status_code) == (200, 200)


# --- Roles ----------------------------------------------------------------------------------


def test_it_stops_a_curator_publishing_a_finding_and_leaves_it_a_draft(
    curator_client, draft_finding
):
    response = post_change(curator_client, draft_finding, status="published")
    assert response.status_code == 200
    assert "A reviewer must publish this record" in errors_of(response)
    draft_finding.refresh_from_db()
    assert draft_finding.status == Status.DRAFT


def test_it_lets_a_reviewer_publish_a_finding(reviewer_client, draft_finding):
    response = post_change(reviewer_client, draft_finding, status="published")
    assert response.status_code == 302
    draft_finding.refresh_from_db()
    assert draft_finding.status == Status.PUBLISHED


def test_it_lets_a_superuser_publish_a_finding(admin_client, draft_finding):
    response = post_change(admin_client, draft_finding, status="published")
    assert response.status_code == 302
    draft_finding.refresh_from_db()
    assert draft_finding.status == Status.PUBLISHED


def test_it_shows_a_published_record_to_a_curator_read_only_with_a_warning(curator_client, db):
    source = f.SourceFactory()
    response = curator_client.get(change_url(source))
    assert response.status_code == 200
    assert "only a reviewer can change it" in response.text
    assert not response.context["has_change_permission"]
    assert 'name="_save"' not in response.text
    assert reverse("admin:evidence_source_delete", args=[source.pk]) not in response.text


def test_it_refuses_a_curators_change_to_a_published_source_and_keeps_it(curator_client, db):
    source = f.SourceFactory(title="The published title")
    data = {"key": source.key, "title": "A curator's edit", "study_type": source.study_type}
    response = curator_client.post(change_url(source), data)
    assert response.status_code == 403
    source.refresh_from_db()
    assert source.title == "The published title"


def test_it_stops_a_curator_reverting_a_published_source_to_an_earlier_version(curator_client, db):
    # The revert view checks only view permission, so the form refuses the save.
    source = f.SourceFactory(title="The published title")
    source.title = "The reviewed title"
    source.save()
    original = source.history.last()
    revert_url = reverse("admin:evidence_source_simple_history", args=[source.pk, original.pk])
    response = curator_client.post(revert_url, form_data(curator_client.get(revert_url)))
    assert response.status_code == 200
    assert "only a reviewer can change it" in errors_of(response)
    source.refresh_from_db()
    assert source.title == "The reviewed title"


def test_it_lets_a_curator_edit_a_draft(curator_client, curator, db):
    source = f.SourceFactory(status=Status.DRAFT, title="Old")
    response = post_change(curator_client, source, title="New")
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.title, source.changed_by) == ("New", curator)


def test_it_does_not_let_a_curator_delete_a_published_record(curator_client, db):
    source = f.SourceFactory()
    url = reverse("admin:evidence_source_delete", args=[source.pk])
    assert curator_client.post(url, {"post": "yes"}).status_code == 403
    assert Source.objects.filter(pk=source.pk).exists()


def test_it_does_not_let_a_curator_bulk_delete_published_records(curator_client, db):
    published = f.SourceFactory(key="published-one")
    draft = f.SourceFactory(key="draft-one", status=Status.DRAFT)
    response = curator_client.post(
        reverse("admin:evidence_source_changelist"),
        {"action": "delete_selected", "_selected_action": [published.pk, draft.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Source.objects.count() == 2


# --- Validation messages instead of database errors -----------------------------------------


def test_it_asks_for_a_source_before_a_finding_is_published(reviewer_client, nmdar):
    finding = f.FindingFactory(drug=nmdar["ketamine"], status=Status.DRAFT)
    response = post_change(reviewer_client, finding, status="published", sources=None)
    assert response.status_code == 200
    assert "must cite at least one source" in errors_of(response)
    finding.refresh_from_db()
    assert finding.status == Status.DRAFT


def test_it_refuses_a_published_finding_citing_a_draft_source(reviewer_client, nmdar):
    draft = f.SourceFactory(key="draft-2020", status=Status.DRAFT)
    finding = f.FindingFactory(drug=nmdar["ketamine"], status=Status.DRAFT, sources=[draft])
    response = post_change(reviewer_client, finding, status="published")
    assert "may cite only published sources; these are drafts: draft-2020" in errors_of(response)


def test_it_refuses_a_finding_about_a_drug_that_is_not_an_nmdar_antagonist(
    reviewer_client, draft_finding, nmdar
):
    response = post_change(reviewer_client, draft_finding, drug=str(nmdar["morphine"].pk))
    assert response.status_code == 200
    assert "Choose an NMDA-receptor antagonist" in errors_of(response)
    draft_finding.refresh_from_db()
    assert draft_finding.drug == nmdar["ketamine"]


@pytest.mark.parametrize(
    ("factory", "field"),
    [(f.SafetyConcernFactory, "drug"), (f.CombinationFactory, "nmdar_drug")],
)
def test_it_refuses_safety_and_combinations_about_other_drugs(
    reviewer_client, nmdar, factory, field
):
    record = factory(status=Status.DRAFT, **{field: nmdar["ketamine"]})
    response = post_change(reviewer_client, record, **{field: str(nmdar["morphine"].pk)})
    assert "Choose an NMDA-receptor antagonist" in errors_of(response)


def test_it_asks_for_a_source_before_a_conflict_is_published(reviewer_client, db):
    conflict = f.ConflictFactory(status=Status.DRAFT)
    response = post_change(reviewer_client, conflict, status="published")
    assert "A published conflict must cite at least one source" in errors_of(response)


def test_it_keeps_a_source_published_while_published_findings_cite_it(
    reviewer_client, draft_finding
):
    source = draft_finding.sources.get()
    draft_finding.status = Status.PUBLISHED
    draft_finding.save()
    f.RuleFactory(key="context-on-trials", cited_sources=[source])
    response = post_change(reviewer_client, source, status="draft")
    assert "must stay published: finding ketamine-crps, rule context-on-trials." in errors_of(
        response
    )
    source.refresh_from_db()
    assert source.status == Status.PUBLISHED


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name"),
    [
        ("evidence", "finding", "drug"),
        ("evidence", "safetyconcern", "drug"),
        ("evidence", "combination", "nmdar_drug"),
        ("decision", "rule", "drug"),
        ("decision", "expectation", "drug"),
    ],
)
def test_it_offers_only_nmdar_antagonists_when_choosing_the_drug_a_record_is_about(
    reviewer_client, nmdar, app_label, model_name, field_name
):
    query = {"app_label": app_label, "model_name": model_name, "field_name": field_name}
    response = reviewer_client.get(reverse("admin:autocomplete"), {**query, "term": ""})
    assert [item["text"] for item in response.json()["results"]] == ["Ketamine"]


def test_it_offers_every_drug_where_any_drug_may_be_chosen(reviewer_client, nmdar):
    query = {"app_label": "evidence", "model_name": "conflict", "field_name": "drugs"}
    response = reviewer_client.get(reverse("admin:autocomplete"), {**query, "term": ""})
    assert [item["text"] for item in response.json()["results"]] == ["Ketamine", "Morphine"]


# --- History --------------------------------------------------------------------------------


def test_it_records_each_change_with_its_author_and_reverts_to_an_earlier_version(
    reviewer_client, reviewer, db
):
    source = f.SourceFactory(title="First wording")
    post_change(reviewer_client, source, title="Second wording")
    latest = source.history.first()
    assert (latest.title, latest.history_user) == ("Second wording", reviewer)

    original = source.history.last()
    revert_url = reverse("admin:evidence_source_simple_history", args=[source.pk, original.pk])
    page = reviewer_client.get(revert_url)
    response = reviewer_client.post(revert_url, form_data(page))
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.title == "First wording"
    assert source.history.count() == 3


def test_it_lists_the_history_of_a_record(reviewer_client, reviewer, db):
    source = f.SourceFactory(title="First wording")
    post_change(reviewer_client, source, title="Second wording")
    response = reviewer_client.get(reverse("admin:evidence_source_history", args=[source.pk]))
    assert response.status_code == 200
    rows = [(record.title, record.history_user) for record in response.context["page_obj"]]
    assert rows == [("Second wording", reviewer), ("First wording", None)]


# --- Lists, links, search ------------------------------------------------------------------


def test_it_links_each_source_to_pubmed_and_its_doi(curator_client, db):
    f.SourceFactory(pmid="19604642", doi="10.1016/j.pain.2009.06.023")
    response = curator_client.get(reverse("admin:evidence_source_changelist"))
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/19604642/"' in response.text
    assert 'href="https://doi.org/10.1016/j.pain.2009.06.023"' in response.text


@pytest.mark.parametrize("term", ["19604642", "10.1016/J.PAIN", "Sigtermans", "sigtermans-2009"])
def test_it_finds_a_source_by_pmid_doi_author_or_key(curator_client, db, term):
    f.SourceFactory(
        key="sigtermans-2009",
        authors="Sigtermans MJ",
        pmid="19604642",
        doi="10.1016/j.pain.2009.06.023",
    )
    f.SourceFactory(key="other-2010", authors="Doe J")
    response = curator_client.get(reverse("admin:evidence_source_changelist"), {"q": term})
    keys = [source.key for source in response.context["cl"].result_list]
    assert keys == ["sigtermans-2009"]


def test_it_filters_findings_by_certainty(curator_client, nmdar):
    source = f.SourceFactory()
    f.FindingFactory(key="low-one", drug=nmdar["ketamine"], certainty="low", sources=[source])
    f.FindingFactory(
        key="moderate-one", drug=nmdar["ketamine"], certainty="moderate", sources=[source]
    )
    response = curator_client.get(
        reverse("admin:evidence_finding_changelist"), {"certainty__exact": "moderate"}
    )
    assert [finding.key for finding in response.context["cl"].result_list] == ["moderate-one"]


def test_it_shows_the_clinical_codes_of_a_pain_type(curator_client, db):
    crps = f.PainTypeFactory(slug="complex_regional_pain_syndrome", name="CRPS")
    clinical_code = ClinicalCode.objects.create(system="icd10cm", code="G90.5", display="CRPS I")
    clinical_code.pain_types.add(crps)
    response = curator_client.get(change_url(crps))
    (inline,) = response.context["inline_admin_formsets"]
    codes = [form.instance.clinicalcode.code for form in inline.formset.initial_forms]
    assert codes == ["G90.5"]
    assert f'id="{inline.formset.prefix}-group"' in response.text


def test_it_keeps_a_vocabulary_slug_once_stored(reviewer_client, db):
    pain = f.PainTypeFactory(slug="postherpetic_neuralgia", name="PHN")
    post_change(reviewer_client, pain, slug="renamed", name="Postherpetic neuralgia")
    pain.refresh_from_db()
    assert (pain.slug, pain.name) == ("postherpetic_neuralgia", "Postherpetic neuralgia")


# --- Review dates ---------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_it_labels_records_past_their_review_date_as_overdue(curator_client, db):
    f.SourceFactory(key="overdue-2001", review_due=TODAY - dt.timedelta(days=1))
    f.SourceFactory(key="current-2002", review_due=TODAY + dt.timedelta(days=10))
    response = curator_client.get(reverse("admin:evidence_source_changelist"))
    rows = response.text.split("<tr")

    def row_of(key: str) -> str:
        return next(row.split("</tr>")[0] for row in rows if f">{key}</a>" in row)

    assert "Overdue" in row_of("overdue-2001")
    assert "Overdue" not in row_of("current-2002")


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("choice", "expected"), [("overdue", ["late"]), ("soon", ["soon"]), ("none", ["undated"])]
)
def test_it_filters_by_review_due(curator_client, db, choice, expected):
    f.SourceFactory(key="late", review_due=TODAY - dt.timedelta(days=3))
    f.SourceFactory(key="soon", review_due=TODAY + dt.timedelta(days=20))
    f.SourceFactory(key="later", review_due=TODAY + dt.timedelta(days=90))
    f.SourceFactory(key="undated", review_due=None)
    response = curator_client.get(reverse("admin:evidence_source_changelist"), {"review": choice})
    assert [source.key for source in response.context["cl"].result_list] == expected


@time_machine.travel(TODAY, tick=False)
def test_it_counts_overdue_records_per_model_on_the_admin_index(curator_client, nmdar):
    f.SourceFactory(review_due=TODAY - dt.timedelta(days=1))
    f.SourceFactory(review_due=TODAY - dt.timedelta(days=400))
    f.SourceFactory(review_due=TODAY)
    f.FindingFactory(
        drug=nmdar["ketamine"],
        review_due=TODAY - dt.timedelta(days=2),
        sources=[f.SourceFactory()],
    )
    response = curator_client.get(reverse("admin:index"))
    summary = response.text.split('id="overdue-reviews"')[1].split("</table>")[0]
    rows = re.findall(
        r'<a href="[^"]+">([^<]+)</a></th>\s*<td class="overdue-count">\s*(.+?)\s*</td>', summary
    )
    counts = {name: re.sub("<[^>]+>", "", count) for name, count in rows}
    assert (counts["Sources"], counts["Findings"], counts["Conflicts"]) == (
        "2 overdue",
        "1 overdue",
        "none overdue",
    )
    assert reverse("admin:evidence_source_changelist") + "?review=overdue" in response.text
