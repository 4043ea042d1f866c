"""What a service call must carry, and the answer to each thing missing: the specification's
statuses with an OperationOutcome naming the field, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cdshooks import bundles as b

VIEW = "nmdar-notes-patient-view"
SELECT = "nmdar-notes-order-select"
SIGN = "nmdar-notes-order-sign"


def expressions(response) -> set[str]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return {expression for issue in body["issue"] for expression in issue.get("expression", [])}


def test_an_unknown_service_is_404_with_an_operation_outcome(call):
    response = call("nmdar-notes-nothing", b.patient_view())
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


def test_a_path_below_a_service_is_404(call):
    assert call("nmdar-notes-patient-view/extra/more", b.patient_view()).status_code == 404


@pytest.mark.parametrize(
    "path", ["/cds-services/nmdar-notes-patient-view", "/cds-services/x/feedback"]
)
def test_get_on_a_service_is_405_or_404(client, shipped_release, path):
    response = client.get(path)
    assert response.status_code in (404, 405)
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_service_answers_only_post(client, shipped_release):
    response = client.get("/cds-services/nmdar-notes-patient-view")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_discovery_answers_only_get(client, shipped_release):
    response = client.post("/cds-services", "{}", content_type="application/json")
    assert (response.status_code, response["Allow"]) == (405, "GET")


def test_a_body_that_is_not_json_is_415(call):
    response = call(VIEW, "hook=patient-view", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_body_over_the_limit_is_413(call, settings):
    settings.CDS_HOOKS_MAX_BODY_BYTES = 4096
    body = b.patient_view()
    body["prefetch"]["padding"] = {"resourceType": "Basic", "text": "x" * 5000}
    assert call(VIEW, body).status_code == 413


def test_a_body_under_the_default_limit_but_over_the_apis_is_answered(call):
    # Prefetch is large: the API's 64 KiB limit must not apply here.
    body = b.patient_view()
    body["prefetch"]["padding"] = {"resourceType": "Basic", "text": "x" * 500_000}
    assert call(VIEW, body).status_code == 200


def test_malformed_json_is_400(call):
    response = call(VIEW, '{"hook": "patient-view",')
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["issue"][0]["details"]["text"]


@pytest.mark.parametrize(
    ("service", "request_", "missing"),
    [
        (VIEW, b.without(b.patient_view(), "hook"), "hook"),
        (VIEW, b.without(b.patient_view(), "hookInstance"), "hookInstance"),
        (VIEW, b.without(b.patient_view(), "context"), "context"),
        (VIEW, b.without(b.patient_view(), "context.patientId"), "context.patientId"),
        (SELECT, b.without(b.order_select(), "context.draftOrders"), "context.draftOrders"),
        (SELECT, b.without(b.order_select(), "context.selections"), "context.selections"),
        (SIGN, b.without(b.order_sign(), "context.draftOrders"), "context.draftOrders"),
    ],
)
def test_a_missing_required_field_is_400_naming_it(call, service, request_, missing):
    response = call(service, request_)
    assert response.status_code == 400
    assert missing in expressions(response)


def test_a_hook_that_does_not_match_the_service_is_400(call):
    response = call(SELECT, b.patient_view())
    assert response.status_code == 400
    assert "hook" in expressions(response)


def test_every_bad_field_is_named_at_once(call):
    response = call(SELECT, {"hook": "order-select", "context": {"selections": []}})
    assert expressions(response) >= {
        "hookInstance",
        "context.patientId",
        "context.selections",
        "context.draftOrders",
    }


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_that_is_not_an_object_is_400(call, body):
    assert call(VIEW, json.dumps(body)).status_code == 400


@pytest.mark.parametrize("key", ["conditions", "medications"])
def test_a_required_prefetch_key_absent_is_412(call, key):
    body = b.patient_view()
    del body["prefetch"][key]
    response = call(VIEW, body)
    assert response.status_code == 412
    assert f"prefetch.{key}" in expressions(response)


def test_no_prefetch_at_all_is_412_naming_both_keys(call):
    response = call(VIEW, b.without(b.patient_view(), "prefetch"))
    assert response.status_code == 412
    assert expressions(response) == {"prefetch.conditions", "prefetch.medications"}


@pytest.mark.parametrize("key", ["conditions", "medications"])
def test_a_required_prefetch_key_holding_an_operation_outcome_is_412(call, key):
    body = b.patient_view()
    body["prefetch"][key] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    response = call(VIEW, body)
    assert response.status_code == 412
    assert f"prefetch.{key}" in expressions(response)


def test_a_null_prefetch_key_means_no_data_and_is_answered(call):
    assert call(VIEW, b.patient_view(medications=None)).status_code == 200
    assert call(VIEW, b.patient_view(conditions=None)).json() == {"cards": []}


def test_a_prefetch_value_of_the_wrong_type_is_400(call):
    body = b.patient_view()
    body["prefetch"]["conditions"] = "Condition?patient=1288992"
    response = call(VIEW, body)
    assert (response.status_code, expressions(response)) == (400, {"prefetch.conditions"})


def test_unknown_fields_and_extensions_are_ignored(call):
    body = b.patient_view()
    body["extension"] = {"com.example.timestamp": "2017-11-27T22:13:25Z"}
    body["context"]["somethingNew"] = {"deep": [1, 2]}
    body["fhirServer"] = "https://ehr.example.org/fhir"
    body["fhirAuthorization"] = {"access_token": "opaque", "token_type": "Bearer"}
    assert call(VIEW, body).status_code == 200


# --- The specification's own examples, wrapped as requests ----------------------------------

SPEC_PATIENT_VIEW = {
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "fhirServer": "http://hooks.smarthealthit.org:9080",
    "hook": "patient-view",
    "fhirAuthorization": {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    },
    "context": {"userId": "Practitioner/example", "patientId": "1288992", "encounterId": "89284"},
    "prefetch": {
        "patientToGreet": {
            "resourceType": "Patient",
            "gender": "male",
            "birthDate": "1925-12-23",
            "id": "1288992",
            "active": True,
        }
    },
}


def test_the_specifications_patient_view_example_lacks_our_prefetch_and_is_412(call):
    # It names a fhirServer, but this service never fetches: the required keys must be sent.
    response = call(VIEW, SPEC_PATIENT_VIEW)
    assert response.status_code == 412


def test_the_specifications_patient_view_example_with_our_prefetch_gets_a_card(call):
    body = json.loads(json.dumps(SPEC_PATIENT_VIEW))
    body["prefetch"].update(
        patient=body["prefetch"]["patientToGreet"],
        conditions=b.bundle(b.CRPS),
        medications=b.bundle(),
    )
    cards = call(VIEW, body).json()["cards"]
    assert len(cards) == 1
    assert "Aged 65 or over" in cards[0]["detail"].split("What the record showed")[1]


# The R4 order-select example of the hook library, as published: a NutritionOrder and an
# amoxicillin/clavulanate MedicationRequest whose doseAndRate is an object (not valid R4).
SPEC_ORDER_SELECT_CONTEXT = {
    "userId": "PractitionerRole/123",
    "patientId": "1288992",
    "encounterId": "89284",
    "selections": [
        "NutritionOrder/pureeddiet-simple",
        "MedicationRequest/smart-MedicationRequest-103",
    ],
    "draftOrders": {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "NutritionOrder",
                    "id": "pureeddiet-simple",
                    "status": "draft",
                    "patient": {"reference": "Patient/1288992"},
                    "oralDiet": {"type": [{"text": "Pureed diet"}]},
                }
            },
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "smart-MedicationRequest-103",
                    "status": "draft",
                    "intent": "order",
                    "medicationCodeableConcept": {
                        "coding": [
                            {
                                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                "code": "617993",
                                "display": "Amoxicillin 120 MG/ML / clavulanate potassium 8.58 "
                                "MG/ML Oral Suspension",
                            }
                        ],
                        "text": "Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral "
                        "Suspension",
                    },
                    "subject": {"reference": "Patient/1288992"},
                    "dosageInstruction": [
                        {
                            "text": "5 mL bid x 10 days",
                            "doseAndRate": {"doseQuantity": {"value": 5, "unit": "mL"}},
                        }
                    ],
                }
            },
        ],
    },
}


def test_the_specifications_order_select_example_orders_no_nmdar_antagonist_so_no_card(call):
    body = {
        "hook": "order-select",
        "hookInstance": "4a74b1d0-4fee-4d18-b76f-7f3bd361e4bc",
        "context": SPEC_ORDER_SELECT_CONTEXT,
        "prefetch": b.prefetch(),
    }
    assert call(SELECT, body).json() == {"cards": []}


def test_the_specifications_dextromethorphan_order_by_reference_display_gets_a_card(call):
    # The prefetch-template example: a draft order naming its Medication only by reference,
    # with the display "DEXTROMETHORPHAN HBR 15 MG/5ML PO SYRP".
    draft = {
        "resourceType": "MedicationRequest",
        "id": "ez067mnwOAKP5z1",
        "status": "draft",
        "intent": "order",
        "medicationReference": {
            "reference": "Medication/eVBXvKwrWZIkPmaGwY.s1hQ3",
            "display": "DEXTROMETHORPHAN HBR 15 MG/5ML PO SYRP",
        },
        "subject": {"reference": "Patient/eXoGxqgBaJuNkuahMYmiDhg3", "display": "Post, Titus"},
    }
    cards = call(SIGN, b.order_sign(draft)).json()["cards"]
    assert [card["summary"].split(" for ")[0] for card in cards] == ["Dextromethorphan"]


# --- Never a 500 --------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hook=st.sampled_from(["patient-view", "order-select", "order-sign", "x"]),
    context=json_values,
    prefetch=json_values,
    conditions=json_values,
    medications=json_values,
)
def test_no_request_body_gets_a_500(call, hook, context, prefetch, conditions, medications):
    body = {"hook": hook, "hookInstance": "h", "context": context, "prefetch": prefetch}
    if isinstance(prefetch, dict):
        prefetch.update(conditions=conditions, medications=medications)
    if isinstance(context, dict):
        context.setdefault("patientId", "p")
    for service in (VIEW, SELECT, SIGN):
        response = call(service, body)
        assert response.status_code in (200, 400, 412), response.content


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=st.lists(json_values, max_size=5), drafts=st.lists(json_values, max_size=3))
def test_malformed_resources_inside_bundles_never_sink_a_request(call, entries, drafts):
    body = b.order_select(b.rx(b.KETAMINE, "ketamine", id="k", status="draft"))
    body["prefetch"]["conditions"]["entry"] += [{"resource": entry} for entry in entries]
    body["prefetch"]["medications"]["entry"] += [{"resource": entry} for entry in entries]
    body["context"]["draftOrders"]["entry"] += [{"resource": draft} for draft in drafts]
    response = call(SELECT, body)
    assert response.status_code == 200
    assert len(response.json()["cards"]) == 1
