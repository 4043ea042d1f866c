"""The decision admin: rules, curator test cases, publishing and rolling back releases."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from decision.assessments import answer, store_assessment
from decision.engine import Inputs
from decision.models import Activation, ActivationReason, Release, Rule
from decision.releases import active_release, current_release, publish_release
from evidence.models import Status
from tests import factories as f
from tests.admin_helpers import change_url, errors_of, form_data, post_change, text_of

PUBLISH_URL = reverse("admin:decision_release_publish")
RUN_ALL_URL = reverse("admin:decision_curatorcase_run")


@pytest.fixture
def vocab(db):
    """Just enough vocabulary for a rule form (mini_kb is slower to build)."""
    nmdar = f.DrugClassFactory(slug="nmdar_antagonist", name="NMDA-receptor antagonist")
    return SimpleNamespace(
        drugs=SimpleNamespace(
            ketamine=f.DrugFactory(slug="ketamine", name="Ketamine", classes=[nmdar]),
            morphine=f.DrugFactory(slug="morphine", name="Morphine"),
        ),
        pain_types=SimpleNamespace(phn=f.PainTypeFactory(slug="postherpetic_neuralgia")),
    )


def inline_rows(prefix: str, rows: list[dict]) -> dict:
    """Post data for an inline formset of new rows."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": str(value) for name, value in row.items()}
    return data


def _rule_data(client, kb, **fields) -> dict:
    data = form_data(client.get(reverse("admin:decision_rule_add")))
    data |= {
        "key": "new-rule",
        "title": "A new note",
        "text": "What the evidence says.",
        "priority": "0",
        "status": "draft",
        "kind": "suitability",
        "drug": str(kb.drugs.ketamine.pk),
        "level": "mixed",
    }
    for name, value in fields.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "caution", "level": None}, "A caution note needs a severity"),
        ({"kind": "caution", "severity": "high"}, "has a severity, not a level"),
        ({"severity": "high"}, "A suitability note has a level, not a severity"),
        ({"level": None}, "A suitability note needs a level"),
        ({"kind": "combination", "level": None}, "A combination note needs a level"),
        ({"kind": "context", "drug": None}, "A context note has no level"),
        ({"drug": None}, "Only context notes may leave the drug empty"),
    ],
)
def test_it_explains_a_rule_whose_scale_or_drug_does_not_fit_its_kind(
    curator_client, vocab, fields, message
):
    response = curator_client.post(
        reverse("admin:decision_rule_add"), _rule_data(curator_client, vocab, **fields)
    )
    assert response.status_code == 200
    assert message in errors_of(response)
    assert not Rule.objects.filter(key="new-rule").exists()


def test_it_saves_a_well_formed_draft_rule_with_its_pain_types_and_conditions(
    curator_client, curator, vocab
):
    data = _rule_data(curator_client, vocab, level="favourable")
    data |= inline_rows("rulepaintype_set", [{"paintype": vocab.pain_types.phn.pk}])
    data |= inline_rows("conditions", [{"group": "none", "drug": vocab.drugs.morphine.pk}])
    response = curator_client.post(reverse("admin:decision_rule_add"), data)
    assert response.status_code == 302
    rule = Rule.objects.get(key="new-rule")
    assert (rule.level, rule.changed_by, list(rule.pain_types.all())) == (
        "favourable",
        curator,
        [vocab.pain_types.phn],
    )
    assert [str(condition) for condition in rule.conditions.all()] == [
        "rule new-rule: none of drug Morphine"
    ]
    assert rule.conditions.get().history.count() == 1


def test_it_asks_a_condition_to_name_exactly_one_item(curator_client, vocab):
    data = _rule_data(curator_client, vocab)
    both = {"group": "any", "drug": vocab.drugs.morphine.pk, "factor": ""}
    data |= inline_rows("conditions", [{"group": "any"}, both])
    data["conditions-1-drug_class"] = str(f.DrugClassFactory(slug="opioid").pk)
    response = curator_client.post(reverse("admin:decision_rule_add"), data)
    assert response.status_code == 200
    messages = str(response.context["inline_admin_formsets"][1].formset.errors)
    assert messages.count("Name exactly one item for this condition") == 2
    assert not Rule.objects.filter(key="new-rule").exists()


def test_deleting_a_vocabulary_term_a_rule_names_is_refused_naming_the_rule(
    reviewer_client, mini_kb
):
    ssri = mini_kb.rules.dm_serotonin.conditions.get(drug_class__isnull=False).drug_class
    response = reviewer_client.post(
        reverse("admin:evidence_drugclass_delete", args=[ssri.pk]), {"post": "yes"}
    )
    assert response.status_code == 200
    assert "rule caution-dm-serotonin-syndrome: any of drug class" in text_of(response)
    assert ssri.__class__.objects.filter(pk=ssri.pk).exists()
    crps = mini_kb.pain_types.crps
    response = reviewer_client.post(
        reverse("admin:evidence_paintype_delete", args=[crps.pk]), {"post": "yes"}
    )
    assert "rule ketamine-crps-suitability: pain type" in text_of(response)
    assert crps.__class__.objects.filter(pk=crps.pk).exists()


def test_it_refuses_a_rule_about_a_drug_that_is_not_an_nmdar_antagonist(curator_client, vocab):
    data = _rule_data(curator_client, vocab, drug=str(vocab.drugs.morphine.pk))
    response = curator_client.post(reverse("admin:decision_rule_add"), data)
    assert "Choose an NMDA-receptor antagonist" in errors_of(response)
    assert not Rule.objects.filter(key="new-rule").exists()


def test_it_stops_a_curator_publishing_a_rule(curator_client, mini_kb):
    rule = mini_kb.rules.ketamine_crps
    rule.status = Status.DRAFT
    rule.save()
    response = post_change(curator_client, rule, status="published")
    assert "A reviewer must publish this record" in errors_of(response)
    rule.refresh_from_db()
    assert rule.status == Status.DRAFT


def test_it_refuses_a_published_rule_citing_a_draft_finding(reviewer_client, mini_kb):
    finding = f.FindingFactory(key="draft-finding", status=Status.DRAFT)
    response = post_change(
        reviewer_client, mini_kb.rules.ketamine_crps, cited_findings=[str(finding.pk)]
    )
    assert "may cite only published findings; these are drafts: draft-finding" in errors_of(
        response
    )


def test_it_asks_a_published_rule_to_cite_its_evidence(reviewer_client, mini_kb):
    response = post_change(reviewer_client, mini_kb.rules.ketamine_crps, cited_findings=None)
    assert (
        "A published suitability note must cite at least one finding, safety concern, "
        "combination, conflict or source." in errors_of(response)
    )
    assert mini_kb.rules.ketamine_crps.cited_findings.exists()


def test_it_lets_a_published_context_note_cite_nothing(reviewer_client, mini_kb):
    response = post_change(reviewer_client, mini_kb.rules.class_context, cited_findings=None)
    assert response.status_code == 302
    assert not mini_kb.rules.class_context.cited_findings.exists()


def test_it_shows_a_published_rule_to_a_curator_read_only(curator_client, mini_kb):
    response = curator_client.get(change_url(mini_kb.rules.ketamine_crps))
    assert "only a reviewer can change it" in response.text
    assert 'name="_save"' not in response.text


def test_it_finds_rules_by_key_or_title_and_filters_by_kind(curator_client, mini_kb):
    url = reverse("admin:decision_rule_changelist")
    by_title = curator_client.get(url, {"q": "psychosis"}).context["cl"].result_list
    by_kind = curator_client.get(url, {"kind__exact": "combination"}).context["cl"].result_list
    assert [rule.key for rule in by_title] == ["caution-ketamine-psychosis-history"]
    assert [rule.key for rule in by_kind] == ["combination-ketamine-opioid"]


def test_it_shows_the_note_its_citations_and_its_conditions_as_rows(curator_client, mini_kb):
    response = curator_client.get(change_url(mini_kb.rules.dm_serotonin))
    names = [fieldset.name for fieldset in response.context["adminform"]]
    assert names[:2] == ["Note", "Cites"]
    conditions = response.context["inline_admin_formsets"][1].formset
    assert sorted(str(form.instance) for form in conditions.initial_forms) == [
        "rule caution-dm-serotonin-syndrome: any of drug class Selective serotonin reuptake "
        "inhibitor",
        "rule caution-dm-serotonin-syndrome: any of drug property Raises serotonergic activity",
    ]


# --- Curator test cases ---------------------------------------------------------------------


def test_it_runs_all_test_cases_and_shows_a_pass(curator_client, mini_kb):
    response = curator_client.get(RUN_ALL_URL)
    assert response.status_code == 200
    assert "1 passed, 0 failed." in response.text
    assert [result.key for result in response.context["results"]] == ["crps-on-sertraline"]


def test_it_shows_each_failing_expectation_as_expected_versus_got(curator_client, mini_kb):
    f.ExpectationFactory(
        case=mini_kb.case, kind="suitability", drug=mini_kb.drugs.ketamine, level="favourable"
    )
    response = curator_client.get(RUN_ALL_URL)
    page = text_of(response)
    assert "0 passed, 1 failed." in page
    assert "a suitability note on ketamine at level favourable must appear" in page
    assert "suitability ketamine mixed [ketamine-crps-suitability]" in page


def test_it_runs_only_the_selected_cases_from_the_action(curator_client, mini_kb):
    other = f.CuratorCaseFactory(key="phn-alone", pain_type=mini_kb.pain_types.phn)
    draft = f.CuratorCaseFactory(
        key="phn-draft", status=Status.DRAFT, pain_type=mini_kb.pain_types.phn
    )
    f.ExpectationFactory(case=draft, kind="caution", drug=mini_kb.drugs.ketamine)
    response = curator_client.post(
        reverse("admin:decision_curatorcase_changelist"),
        {"action": "run_selected_cases", "_selected_action": [str(other.pk), str(draft.pk)]},
    )
    assert [result.key for result in response.context["results"]] == ["phn-alone", "phn-draft"]
    assert "1 passed, 1 failed." in response.text
    assert "Draft cases (not run when publishing): phn-draft." in response.text


def test_it_reports_content_that_does_not_compile_instead_of_failing(curator_client, mini_kb):
    source = f.SourceFactory(key="draft-source", status=Status.DRAFT)
    f.FindingFactory(key="cites-a-draft", pain_type=mini_kb.pain_types.crps, sources=[source])
    response = curator_client.get(RUN_ALL_URL, follow=True)
    assert response.status_code == 200
    assert "does not compile" in text_of(response)
    assert "cites source 'draft-source', which is not published" in text_of(response)


def test_it_locks_the_expectations_of_a_published_case_for_a_curator(curator_client, mini_kb):
    response = curator_client.get(change_url(mini_kb.case))
    (inline,) = response.context["inline_admin_formsets"]
    assert (inline.has_add_permission, inline.has_change_permission) == (False, False)
    assert inline.has_delete_permission is False


def test_it_saves_expectations_inline_on_a_test_case(curator_client, mini_kb):
    case = f.CuratorCaseFactory(
        key="draft-case", status=Status.DRAFT, pain_type=mini_kb.pain_types.phn
    )
    data = form_data(curator_client.get(change_url(case)))
    data |= {
        "expectations-0-outcome": "absent",
        "expectations-0-kind": "caution",
        "expectations-0-drug": str(mini_kb.drugs.ketamine.pk),
    }
    response = curator_client.post(change_url(case), data)
    assert response.status_code == 302
    assert str(case.expectations.get()) == "caution note on Ketamine must not appear"


def test_it_refuses_an_expectation_whose_scale_cannot_fit_its_kind(curator_client, mini_kb):
    case = f.CuratorCaseFactory(
        key="draft-case", status=Status.DRAFT, pain_type=mini_kb.pain_types.phn
    )
    data = form_data(curator_client.get(change_url(case)))
    data |= {"expectations-0-kind": "caution", "expectations-0-level": "mixed"}
    response = curator_client.post(change_url(case), data)
    assert response.status_code == 200
    assert "A caution note has no level" in text_of(response)
    assert not case.expectations.exists()


# --- Releases -------------------------------------------------------------------------------


def test_it_lists_releases_with_hash_prefix_and_the_active_one(curator_client, mini_release):
    response = curator_client.get(reverse("admin:decision_release_changelist"))
    assert mini_release.version in response.text
    assert mini_release.content_hash[:12] in response.text
    assert mini_release.content_hash[:13] not in response.text
    assert [release.is_active for release in response.context["cl"].result_list] == [True]


def test_it_shows_the_changelog_and_contents_on_a_release(curator_client, mini_release):
    response = curator_client.get(change_url(mini_release))
    assert response.status_code == 200
    assert "<p>First release.</p>" in response.text
    assert 'id="release-is-active"' in response.text
    assert (
        "5 rules, 3 findings, 2 safety concerns, 1 combinations, 0 conflicts, 4 sources"
        in response.text
    )


def test_it_never_lets_anyone_add_change_or_delete_a_release(admin_client, mini_release):
    changelog = mini_release.changelog
    add = admin_client.get(reverse("admin:decision_release_add"))
    change = admin_client.post(change_url(mini_release), {"changelog": "rewritten"})
    delete = admin_client.post(
        reverse("admin:decision_release_delete", args=[mini_release.pk]), {"post": "yes"}
    )
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    mini_release.refresh_from_db()
    assert mini_release.changelog == changelog


@pytest.mark.parametrize("model", ["activation", "assessment"])
def test_it_shows_activations_and_assessments_read_only(admin_client, mini_release, model):
    assert admin_client.get(reverse(f"admin:decision_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:decision_{model}_add")).status_code == 403


def test_it_lists_each_assessment_with_its_pain_type_and_note_count(admin_client, mini_release):
    release = active_release()
    inputs = Inputs.build("complex_regional_pain_syndrome", ["sertraline"])
    notes = answer(release, inputs)
    assessment = store_assessment(release, inputs, notes)
    response = admin_client.get(reverse("admin:decision_assessment_changelist"))
    assert [row.pk for row in response.context["cl"].result_list] == [assessment.pk]
    assert '<td class="field-pain_type">complex_regional_pain_syndrome</td>' in response.text
    assert f'<td class="field-note_count">{len(notes)}</td>' in response.text
    assert len(notes) > 0


def test_it_lets_a_reviewer_publish_a_release_that_becomes_active(
    reviewer_client, reviewer, mini_kb
):
    changelist = reviewer_client.get(reverse("admin:decision_release_changelist"))
    assert f'href="{PUBLISH_URL}"' in changelist.text
    preview = reviewer_client.get(PUBLISH_URL)
    assert "First release." in preview.text
    assert 'id="publish-audit-clear"' in preview.text
    response = reviewer_client.post(PUBLISH_URL, follow=True)
    release = Release.objects.get()
    assert current_release() == release
    assert release.published_by == reviewer
    assert f"Published release {release.version}" in response.text


def test_it_refuses_to_publish_when_a_test_case_fails_and_keeps_the_active_release(
    reviewer_client, mini_release, mini_kb
):
    f.ExpectationFactory(
        case=mini_kb.case, kind="suitability", drug=mini_kb.drugs.ketamine, level="favourable"
    )
    response = reviewer_client.post(PUBLISH_URL)
    page = text_of(response)
    failures = page.split('id="publish-failures"')[1].split('id="publish-form"')[0]
    assert response.status_code == 200
    assert "1 curator test case(s) failed; nothing was published." in page
    assert page.count("crps-on-sertraline") == 1
    assert "crps-on-sertraline" in failures
    assert "a suitability note on ketamine at level favourable must appear" in failures
    assert "suitability ketamine mixed [ketamine-crps-suitability]" in failures
    assert Release.objects.count() == 1
    assert current_release() == mini_release


def test_it_says_when_there_is_nothing_new_to_publish(reviewer_client, mini_release):
    response = reviewer_client.post(PUBLISH_URL)
    assert f"Nothing changed since release {mini_release.version}." in text_of(response)
    assert Release.objects.count() == 1


def test_it_keeps_curators_from_publishing_a_release(curator_client, mini_kb):
    changelist = curator_client.get(reverse("admin:decision_release_changelist"))
    assert PUBLISH_URL not in changelist.text
    assert curator_client.get(PUBLISH_URL).status_code == 403
    assert curator_client.post(PUBLISH_URL).status_code == 403
    assert not Release.objects.exists()


def _second_release(kb) -> tuple[Release, Release]:
    first = publish_release()
    kb.rules.ketamine_crps.title = "Ketamine for CRPS: evidence is mixed"
    kb.rules.ketamine_crps.save()
    return first, publish_release()


def test_it_lets_a_reviewer_make_an_earlier_release_active_again(
    reviewer_client, reviewer, mini_kb
):
    first, second = _second_release(mini_kb)
    url = reverse("admin:decision_release_activate", args=[first.pk])
    assert f'href="{url}"' in reviewer_client.get(change_url(first)).text
    assert f'href="{url}"' not in reviewer_client.get(change_url(second)).text
    response = reviewer_client.post(url, follow=True)
    assert f"Release {first.version} is active again" in response.text
    assert current_release() == first
    latest = Activation.objects.order_by("-id").first()
    assert (latest.reason, latest.activated_by) == (ActivationReason.ROLLBACK, reviewer)


def test_it_previews_a_failing_test_case_before_publishing(reviewer_client, mini_release, mini_kb):
    f.ExpectationFactory(
        case=mini_kb.case, kind="suitability", drug=mini_kb.drugs.ketamine, level="favourable"
    )
    page = text_of(reviewer_client.get(PUBLISH_URL))
    assert "1 published curator test case; 1 failing." in page
    assert "crps-on-sertraline" in page.split('id="publish-failures"')[1]
    assert 'id="publish-refused"' not in page


def test_it_previews_content_that_does_not_compile(reviewer_client, mini_kb):
    source = f.SourceFactory(key="draft-source", status=Status.DRAFT)
    f.FindingFactory(key="cites-a-draft", pain_type=mini_kb.pain_types.crps, sources=[source])
    page = text_of(reviewer_client.get(PUBLISH_URL))
    assert "The published content does not compile: finding cites-a-draft cites source" in page
    assert "Active release now: none." in page


def test_it_says_when_the_release_to_make_active_is_already_active(reviewer_client, mini_kb):
    _first, second = _second_release(mini_kb)
    url = reverse("admin:decision_release_activate", args=[second.pk])
    assert "is already the active release" in reviewer_client.get(url).text
    response = reviewer_client.post(url, follow=True)
    assert f"Release {second.version} is already active." in response.text
    assert Activation.objects.count() == 2


def test_it_keeps_curators_from_rolling_back(curator_client, mini_kb):
    first, second = _second_release(mini_kb)
    url = reverse("admin:decision_release_activate", args=[first.pk])
    assert url not in curator_client.get(change_url(first)).text
    assert curator_client.post(url).status_code == 403
    assert current_release() == second


def test_the_publish_page_shows_the_audit_and_refuses_what_it_blocks(reviewer_client, mini_kb):
    rule = mini_kb.rules.ketamine_psychosis
    rule.text = "Labelling advises avoiding ketamine in psychosis."
    rule.save()
    preview = text_of(reviewer_client.get(PUBLISH_URL))
    assert "Audit over" in preview and "synthetic patients" in preview
    blocking = preview.split('id="publish-audit-blocking"')[1].split("</table>")[0]
    assert "caution-ketamine-psychosis-history" in blocking
    assert "instruction in its text: 'advises'" in blocking
    response = reviewer_client.post(PUBLISH_URL)
    assert "blocking problem(s); nothing was published" in text_of(response)
    assert not Release.objects.exists()
