"""The page to hand over: ``--format html`` writes one standalone, printable page, checked as
text and in a real headless browser (Debian's chromium, through the ``browser`` fixture of
``conftest.py``): a screenshot, the DOM, the links inside the page, the print layout."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from conftest import ARTEFACTS

import gridconnect
from gridconnect.cli import cli
from gridconnect.decide.decision import Decision
from gridconnect.output.html import render_html

ROOT = Path(__file__).resolve().parent.parent
HUANGPU = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"


def _decision() -> Decision:
    return gridconnect.evaluate(gridconnect.load_application(HUANGPU))


def test_the_page_is_standalone() -> None:
    page = render_html(_decision(), "zh")
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    assert '<html lang="zh-CN">' in page
    assert '<meta charset="utf-8">' in page
    assert "<script" not in page
    assert "<link" not in page
    assert "@import" not in page
    assert not re.search(r"""\ssrc=|url\(""", page)  # no image, font or style from elsewhere
    # the only addresses outside the page are the sources' links
    external = re.findall(r'href="(https?://[^"]+)"', page)
    urls = {t.citation.url for t in _decision().trace if t.citation.url}
    assert set(external) <= urls
    assert external


def test_every_text_is_escaped() -> None:
    decision = attrs.evolve(_decision(), application_id='<img src=x onerror="alert(1)">&')
    page = render_html(decision, "en")
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in page


def test_evaluate_explain_and_bundle_write_pages() -> None:
    runner = CliRunner()
    for args in (
        ["evaluate", "--format", "html", "--lang", "en", str(HUANGPU)],
        ["explain", "--format", "html", "--lang", "zh", str(HUANGPU)],
        [
            "bundle",
            "--format",
            "html",
            str(ROOT / "examples/applications/guangzhou-nansha-bundle.json"),
        ],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("<!DOCTYPE html>"), args
    two = runner.invoke(
        cli,
        [
            "evaluate",
            "--format",
            "html",
            str(HUANGPU),
            str(ROOT / "examples/applications/foshan-resident.json"),
        ],
    )
    assert two.exit_code == 0
    assert two.stdout.count("<!DOCTYPE html>") == 1
    assert two.stdout.count("<article ") == 2


@pytest.mark.slow
def test_the_page_in_a_browser(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    decision = _decision()
    path = tmp_path / "decision.html"
    path.write_text(render_html(decision, "zh"), encoding="utf-8")
    driver: object = browser
    driver.get(path.as_uri())  # type: ignore[attr-defined]

    # the headline first, in the reader's language
    assert driver.title == "用电报装申请 GZ-HP-2026-0412 的决定"  # type: ignore[attr-defined]
    rows = driver.find_elements(By.CSS_SELECTOR, "#decision tr")  # type: ignore[attr-defined]
    first = [c.text for c in rows[0].find_elements(By.CSS_SELECTOR, "th, td")]
    assert first == ["服务类型", "三省（省力、省时、省钱）", "cn.track.three_save"]
    # deadlines as dates and acceptance, as sections of their own
    deadlines = driver.find_element(By.ID, "deadlines")  # type: ignore[attr-defined]
    table = deadlines.find_element(By.XPATH, "following-sibling::table[1]")
    assert "2026-04-22 截止（2个工作日，自 2026-04-20 起）" in table.text
    assert (
        "免提交"
        in driver.find_element(  # type: ignore[attr-defined]
            By.XPATH, "//*[@id='acceptance']/following-sibling::table[1]"
        ).text
    )
    # the derivation: one item per rule of the trace, each with its source linked
    items = driver.find_elements(By.CSS_SELECTOR, "#derivation li.trace-entry")  # type: ignore[attr-defined]
    assert [i.get_attribute("id") for i in items] == [f"rule-{t.rule}" for t in decision.trace]
    links = driver.find_elements(By.CSS_SELECTOR, "#derivation dd a[href^='http']")  # type: ignore[attr-defined]
    assert len(links) >= sum(1 for t in decision.trace if t.citation.url)
    assert "需建设外线工程，且申请电压为10千伏或20千伏" in items[0].text
    # a screenshot of the headline, kept for the reviewer
    png = driver.get_screenshot_as_png()  # type: ignore[attr-defined]
    assert png.startswith(b"\x89PNG")
    assert len(png) > 10_000
    (ARTEFACTS / "decision-huangpu-zh.png").write_bytes(png)
    # an answer's rule id links to its place in the derivation
    link = driver.find_element(By.CSS_SELECTOR, "#decision td.rule a")  # type: ignore[attr-defined]
    link.click()
    assert driver.current_url.endswith("#rule-cn.track.three_save")  # type: ignore[attr-defined]
    # no raw identifier in what a reader reads, outside the rule ids and the source notes
    text = driver.execute_script(  # type: ignore[attr-defined]
        "const c = document.body.cloneNode(true);"
        "c.querySelectorAll('.rule, a, blockquote, dd:has(> .lang)').forEach(e => e.remove());"
        "return c.innerText;"
    )
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text
    # it fits the window (nothing wider than the page) and it prints
    overflow = driver.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 0
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})  # type: ignore[attr-defined]
    assert base64.b64decode(pdf["data"]).startswith(b"%PDF")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sections_are_in_the_order_an_applicant_reads(lang: str) -> None:
    page = render_html(_decision(), lang)
    heads = re.findall(r"<h3[^>]*>([^<]+)</h3>", page)
    expected = (
        ["受理与材料", "审批", "时限", "涉及的审批许可", "可用服务", "说明"]
        if lang == "zh"
        else [
            "Acceptance and documents",
            "Approval of the access works",
            "Deadlines",
            "Permits",
            "Services",
            "Notes",
        ]
    )
    assert heads == expected


def test_the_page_says_who_says_each_source() -> None:
    """Each source on the page names its issuer kind beside its confidence, in the page's
    language."""
    decision = _decision()
    zh, en = render_html(decision, "zh"), render_html(decision, "en")
    kinds = {t.citation.issuer_kind for t in decision.trace} - {None}
    assert len(kinds) == 3
    assert "(原文；政府规定)" in zh
    assert "供电企业服务承诺)" in zh
    assert "倡议，不具约束力)" in zh
    assert "(primary text; government regulation)" in en
    assert "; utility commitment)" in en
    assert "; advocacy, not binding)" in en
