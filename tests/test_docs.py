"""docs/primitives.md is generated from the rule table and must match it."""

from pathlib import Path

from st_ad.rules.docs import markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "primitives.md"


def test_primitives_doc_matches_the_rule_table():
    assert DOC.read_text() == markdown(), (
        "docs/primitives.md is out of date: run `python -m st_ad.rules.docs`"
    )
