import pytest

from evidence.models import Source, vancouver_citation
from tests import factories as f


def test_it_cites_the_contract_example_in_vancouver_style():
    source = Source(
        authors="Sigtermans MJ, van Hilten JJ, Bauer MCR, Arbous MS, Marinus J, Sarton EY, Dahan A",
        title="Ketamine produces effective and long-term pain relief in patients with Complex "
        "Regional Pain Syndrome Type 1",
        journal="Pain",
        year=2009,
        volume="145",
        issue="3",
        pages="304-311",
    )
    assert source.citation() == (
        "Sigtermans MJ, van Hilten JJ, Bauer MCR, et al. Ketamine produces effective and "
        "long-term pain relief in patients with Complex Regional Pain Syndrome Type 1. Pain. "
        "2009;145(3):304-311."
    )


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            {"authors": "Zhou HY, Chen SR, Pan HL", "volume": "4", "issue": "3"},
            "Zhou HY, Chen SR, Pan HL. A title. A Journal. 2011;4(3):1-9.",
        ),
        ({"authors": "Nelson KA, et al."}, "Nelson KA, et al. A title. A Journal. 2011:1-9."),
        ({"authors": "", "journal": "", "pages": ""}, "A title. 2011."),
        ({"year": None, "pages": ""}, "Doe J. A title. A Journal."),
        ({"title": "Does it help?"}, "Doe J. Does it help? A Journal. 2011:1-9."),
    ],
)
def test_it_leaves_out_what_the_source_lacks(parts, expected):
    base = {
        "authors": "Doe J",
        "title": "A title",
        "journal": "A Journal",
        "year": 2011,
        "volume": "",
        "issue": "",
        "pages": "1-9",
    }
    assert vancouver_citation(**{**base, **parts}) == expected


def test_it_links_to_pubmed_and_doi_only_when_known():
    assert Source(pmid="21686074").pubmed_url == "https://pubmed.ncbi.nlm.nih.gov/21686074/"
    assert Source(doi="10.1586/ecp.11.17").doi_url == "https://doi.org/10.1586/ecp.11.17"
    assert Source().pubmed_url == Source().doi_url == ""


@pytest.mark.django_db
def test_every_change_to_a_finding_is_kept_in_its_history():
    source = f.SourceFactory()
    finding = f.FindingFactory(pain_type=f.PainTypeFactory(), sources=[source], certainty="low")
    finding.certainty = "very_low"
    finding.save()
    latest, previous = finding.history.order_by("-history_id")[:2]
    assert (previous.certainty, latest.certainty) == ("low", "very_low")
    assert latest.history_type == "~"
    assert [row.source_id for row in latest.sources.all()] == [source.id]
