"""Importing references from RIS, PubMed/MEDLINE and BibTeX files through the Source admin."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Source, Status, StudyType
from evidence.references import (
    TOO_LARGE,
    ReferenceImportError,
    import_references,
    initials,
    vancouver_name,
)
from tests import factories as f

IMPORT_URL = reverse("admin:evidence_source_import")

RIS = """TY  - JOUR
AU  - Zhou, Hong-Yi
AU  - Chen, Shao-Rui
AU  - Pan, Hui-Lin
TI  - Targeting N-methyl-D-aspartate receptors for treatment of neuropathic pain
T2  - Expert Review of Clinical Pharmacology
PY  - 2011
VL  - 4
IS  - 3
SP  - 379
EP  - 388
DO  - 10.1586/ecp.11.17
AN  - 21686074
DB  - PubMed
ER  -

TY  - JOUR
AU  - Sigtermans, M. J.
AU  - van Hilten, J. J.
TI  - Ketamine produces effective and long-term pain relief in patients with Complex Regional
      Pain Syndrome Type 1
JO  - Pain
PY  - 2009/10/01/
VL  - 145
IS  - 3
SP  - 304
EP  - 311
DO  - 10.1016/j.pain.2009.06.023
ER  -
"""

NBIB = """PMID- 21686074
OWN - NLM
STAT- MEDLINE
TI  - Targeting N-methyl-D-aspartate receptors for treatment of neuropathic
      pain.
PG  - 379-88
LID - 10.1586/ecp.11.17 [doi]
FAU - Zhou, Hong-Yi
AU  - Zhou HY
FAU - Chen, Shao-Rui
AU  - Chen SR
FAU - Pan, Hui-Lin
AU  - Pan HL
LA  - eng
PT  - Journal Article
PT  - Review
DP  - 2011 May
TA  - Expert Rev Clin Pharmacol
JT  - Expert review of clinical pharmacology
VI  - 4
IP  - 3

PMID- 29370122
TI  - A randomized trial of something else.
FAU - Nguyen, Anh
AU  - Nguyen A
PT  - Journal Article
PT  - Randomized Controlled Trial
DP  - 2018 Jan
TA  - Pain
VI  - 159
PG  - 1-10
"""

BIBTEX = r"""@string{pain = "Pain"}
@article{schwartzman2009,
  author  = {Schwartzman, Robert J. and Alexander, Guillermo M. and Grothusen, John R.},
  title   = {Outpatient intravenous ketamine for the treatment of complex regional pain
             syndrome: a double-blind placebo controlled study},
  journal = pain,
  year    = 2009,
  volume  = {147},
  number  = {1--3},
  pages   = {107--115},
  doi     = {10.1016/j.pain.2009.08.015},
}
@article{mueller2010,
  author = {M{\"u}ller, J{\"o}rg and {World Health Organization}},
  title  = {Magnesium in {CRPS}},
  year   = {2010},
  pmid   = {12345678},
}
"""


def upload(client, name: str, text: str | bytes):
    content = text.encode() if isinstance(text, str) else text
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})


def test_it_offers_an_import_button_on_the_source_list(curator_client):
    response = curator_client.get(reverse("admin:evidence_source_changelist"))
    assert f'href="{IMPORT_URL}"' in response.text


def test_it_refuses_the_import_to_staff_who_cannot_add_sources(client, db):
    viewer = f.UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(viewer)
    changelist = client.get(reverse("admin:evidence_source_changelist"))
    assert IMPORT_URL not in changelist.text
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, "refs.ris", RIS).status_code == 403
    assert not Source.objects.exists()


def test_it_creates_draft_sources_from_a_ris_file(curator_client, curator):
    response = upload(curator_client, "refs.ris", RIS)
    assert response.status_code == 200
    zhou = Source.objects.get(key="zhou-2011")
    assert zhou.authors == "Zhou HY, Chen SR, Pan HL"
    assert (
        zhou.title == "Targeting N-methyl-D-aspartate receptors for treatment of neuropathic pain"
    )
    assert (zhou.journal, zhou.year, zhou.volume, zhou.issue, zhou.pages) == (
        "Expert Review of Clinical Pharmacology",
        2011,
        "4",
        "3",
        "379-388",
    )
    assert (zhou.doi, zhou.pmid) == ("10.1586/ecp.11.17", "21686074")
    assert (zhou.status, zhou.study_type, zhou.changed_by) == (
        Status.DRAFT,
        StudyType.OBSERVATIONAL,
        curator,
    )
    sigtermans = Source.objects.get(key="sigtermans-2009")
    assert sigtermans.authors == "Sigtermans MJ, van Hilten JJ"
    assert sigtermans.title.endswith("Complex Regional Pain Syndrome Type 1")
    assert "Created 2 draft sources; skipped 0." in response.text


def test_it_creates_sources_from_a_pubmed_nbib_file_with_study_types(curator_client):
    response = upload(curator_client, "pubmed-set.nbib", NBIB)
    assert "Created 2 draft sources" in response.text
    zhou = Source.objects.get(pmid="21686074")
    assert (zhou.key, zhou.authors, zhou.journal, zhou.year, zhou.pages) == (
        "zhou-2011",
        "Zhou HY, Chen SR, Pan HL",
        "Expert Rev Clin Pharmacol",
        2011,
        "379-88",
    )
    assert (
        zhou.title == "Targeting N-methyl-D-aspartate receptors for treatment of neuropathic pain"
    )
    assert zhou.doi == "10.1586/ecp.11.17"
    assert zhou.study_type == StudyType.REVIEW
    assert Source.objects.get(pmid="29370122").study_type == StudyType.RCT


def test_it_creates_sources_from_a_bibtex_file(curator_client):
    response = upload(curator_client, "library.bib", BIBTEX)
    assert "Created 2 draft sources" in response.text
    schwartzman = Source.objects.get(key="schwartzman-2009")
    assert schwartzman.authors == "Schwartzman RJ, Alexander GM, Grothusen JR"
    assert schwartzman.title.startswith("Outpatient intravenous ketamine for the treatment")
    assert (schwartzman.journal, schwartzman.pages) == ("Pain", "107-115")
    assert schwartzman.doi == "10.1016/j.pain.2009.08.015"
    mueller = Source.objects.get(pmid="12345678")
    assert (mueller.key, mueller.authors, mueller.title) == (
        "muller-2010",
        "Müller J, World Health Organization",
        "Magnesium in CRPS",
    )


def test_it_skips_references_already_present_by_pmid_or_doi(curator_client):
    f.SourceFactory(key="zhou-2011", pmid="21686074")
    f.SourceFactory(key="sigtermans-trial", doi="10.1016/J.PAIN.2009.06.023")
    response = upload(curator_client, "refs.ris", RIS)
    assert Source.objects.count() == 2
    assert "Created 0 draft sources; skipped 2." in response.text
    assert "already in the knowledge base as zhou-2011 (same PMID)" in response.text
    assert "already in the knowledge base as sigtermans-trial (same DOI)" in response.text


def test_it_looks_up_the_stored_pmids_and_dois_of_a_whole_file_at_once(
    db, curator, django_assert_max_num_queries
):
    f.SourceFactory(key="zhou-2011", pmid="21686074")
    many = "\n".join(
        f"TY  - JOUR\nAU  - Doe, Jane\nTI  - Paper {n}\nPY  - 2010\nDO  - 10.1/p{n}\n"
        f"AN  - {1000 + n}\nDB  - PubMed\nER  - \n"
        for n in range(20)
    )
    # Two look-ups, the taken keys, then a savepoint and one insert and one history row for each
    # of the 22 new sources: nothing more per reference.
    with django_assert_max_num_queries(3 + 2 + 2 * 22):
        report = import_references(f"{RIS}\n{many}".encode(), "refs.ris", user=curator)
    assert (len(report.created), [item.reason for item in report.skipped]) == (
        21,
        ["already in the knowledge base as zhou-2011 (same PMID)"],
    )


def test_it_imports_a_reference_repeated_in_the_file_once(curator_client):
    first_record = RIS.split("\n\n")[0]
    response = upload(curator_client, "refs.ris", f"{RIS}\n{first_record}\n")
    assert Source.objects.filter(pmid="21686074").count() == 1
    assert "Created 2 draft sources; skipped 1." in response.text
    assert "repeats reference 1 in this file" in response.text


def test_it_makes_a_generated_key_unique_with_a_suffix(curator_client):
    f.SourceFactory(key="zhou-2011")
    upload(curator_client, "refs.ris", RIS)
    assert Source.objects.get(pmid="21686074").key == "zhou-2011b"


def test_it_records_the_import_in_each_sources_history(curator_client, curator):
    upload(curator_client, "refs.ris", RIS)
    record = Source.objects.get(key="zhou-2011").history.get()
    assert (record.history_type, record.history_user) == ("+", curator)


MALFORMED = {
    "blank": ("refs.ris", "\n  \n", "The file is empty"),
    "wrong type": ("notes.txt", "Dear colleague, here are the papers.", "Could not tell the"),
    "binary": ("paper.ris", b"%PDF-1.4\x00\x01\x02", "not a text file"),
    "not utf-8": ("refs.ris", "TY  - JOUR\nTI  - Caf\xe9\nER  - \n".encode("latin-1"), "UTF-8"),
    "ris without end": ("refs.ris", RIS + "\nTY  - JOUR\nTI  - Cut off\n", "incomplete"),
    "no title": ("refs.ris", RIS + "\nTY  - JOUR\nAU  - Doe, J\nPY  - 2010\nER  - \n", "no title"),
    "pmid not digits": (
        "refs.nbib",
        NBIB.replace("PMID- 29370122", "PMID- 2937O122"),
        "PMID '2937O122' is not a PubMed number",
    ),
    "doi without 10.": (
        "refs.bib",
        BIBTEX.replace("10.1016/j.pain.2009.08.015", "j.pain.2009.08.015"),
        "does not start with '10.'",
    ),
    "broken bibtex": ("refs.bib", BIBTEX + "\n@article{broken,\n  title = {Unclosed\n", "line"),
    "stray medline line": (
        "refs.nbib",
        NBIB + "this is not a tag line\n",
        f"Line {NBIB.count(chr(10)) + 1} of the MEDLINE file",
    ),
    "year out of range": ("refs.ris", RIS.replace("PY  - 2011", "PY  - 1850"), "1850"),
}


@pytest.mark.parametrize(("name", "content", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_it_refuses_a_malformed_file_and_creates_nothing(curator_client, name, content, message):
    response = upload(curator_client, name, content)
    assert response.status_code == 200
    assert "Nothing was imported" in response.text
    assert message in html.unescape(response.text)
    assert not Source.objects.exists()


@pytest.mark.parametrize("data", [{}, {"file": SimpleUploadedFile("refs.ris", b"")}])
def test_it_asks_for_a_file_with_content(curator_client, data):
    response = curator_client.post(IMPORT_URL, data)
    assert response.context["form"].errors["file"]
    assert not Source.objects.exists()


def test_it_refuses_a_file_over_the_size_limit_before_reading_it(curator_client, monkeypatch):
    monkeypatch.setattr("evidence.forms.MAX_BYTES", 100)
    response = upload(curator_client, "refs.ris", RIS)
    assert response.context["form"].errors["file"] == [TOO_LARGE]
    assert not Source.objects.exists()


def test_it_refuses_a_file_over_the_size_limit_when_called_directly(db, monkeypatch):
    monkeypatch.setattr("evidence.references.MAX_BYTES", 100)
    with pytest.raises(ReferenceImportError) as refused:
        import_references(RIS.encode(), "refs.ris")
    assert refused.value.problems == [TOO_LARGE]
    assert TOO_LARGE == "The file is larger than 5 MB."


def test_it_keys_a_reference_without_authors_by_a_title_word_in_slug_form(curator_client):
    upload(
        curator_client, "refs.ris", "TY  - JOUR\nTI  - Pain_-relief in CRPS\nPY  - 2010\nER  - \n"
    )
    assert Source.objects.get().key == "pain-relief-2010"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zhou, Hong-Yi", "Zhou HY"),
        ("Sigtermans, M. J.", "Sigtermans MJ"),
        ("van Hilten, J J", "van Hilten JJ"),
        ("Smith, John, Jr.", "Smith J Jr"),
        ("Zhou HY", "Zhou HY"),
        ("World Health Organization", "World Health Organization"),
    ],
)
def test_it_writes_author_names_in_vancouver_form(raw, expected):
    assert vancouver_name(raw) == expected


@pytest.mark.parametrize(("given", "expected"), [("Hong-Yi", "HY"), ("HY", "HY"), ("Émile", "É")])
def test_it_turns_given_names_into_initials(given, expected):
    assert initials(given) == expected
