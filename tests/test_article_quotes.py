"""Quotes from the source article hold: every citation of 《南方电网：打造更具吸引力的用电营商环境》
that carries a quote quotes one whole sentence of it, recorded verbatim on the sources page
(docs/reference/sources.rst §2.0, where the reading of the article is recorded), and never
joins two sentences. A citation of the article without a quote says why in a note."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from gridconnect.plugins.registry import default_registry
from gridconnect.rules.model import Citation

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = "南方电网：打造更具吸引力的用电营商环境"


def _section_2_0() -> str:
    text = (ROOT / "docs" / "reference" / "sources.rst").read_text(encoding="utf-8")
    return text[text.index(".. _sources-2.0:") : text.index(".. _sources-2.1:")]


def _recorded() -> set[str]:
    """The sentences §2.0 records as quoted, each between straight double quotes."""
    return set(re.findall(r'^- "([^"]+)" \(', _section_2_0(), flags=re.M))


def _article_citations() -> Iterator[tuple[str, Citation]]:
    registry = default_registry()
    catalogue = registry.catalogue
    for rule in catalogue.rules:
        yield rule.id, rule.citation
    for parameter in catalogue.parameters.values():
        for version in parameter.versions:
            yield parameter.name, version.citation
    for name, by_place in catalogue.overrides.items():
        for place, parameter in by_place.items():
            for version in parameter.versions:
                yield f"{name}@{place}", version.citation
    for info in registry.plugins:
        for lifecycle in info.lifecycle_rules:
            yield lifecycle.id, lifecycle.citation


def test_every_quote_from_the_article_is_one_recorded_sentence() -> None:
    recorded = _recorded()
    assert len(recorded) >= 15
    assert "2026-12-03" in _section_2_0()  # when the article was read
    quoted = {}
    for where, citation in _article_citations():
        if citation.title != ARTICLE:
            continue
        if citation.quote is None:
            assert citation.note, where
            assert citation.note.startswith(("Paraphrase, not a quote", "Inference, not a quote"))
            continue
        quote = citation.quote
        assert "……" not in quote, (where, "a spliced quote")
        assert "..." not in quote, (where, "a spliced quote")
        assert quote in recorded, (where, "not recorded on the sources page §2.0", quote)
        ends = re.findall(r"[。！？]", quote)
        assert ends == ["。"], (where, "one whole sentence", quote)
        assert quote.endswith("。"), (where, "one whole sentence", quote)
        assert not (citation.note or "").startswith("Paraphrase"), where
        quoted[where] = quote
    assert len(quoted) >= 20
    assert recorded <= set(quoted.values())  # the page records only sentences the rules quote
