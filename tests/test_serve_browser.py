"""The page for policy staff in a real headless browser (Debian's chromium through Selenium):
paste an application, read the decision in English and Chinese, browse the rules, see an
error located; the API docs render from shipped assets. Screenshots go to tests/_artefacts/."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from conftest import ARTEFACTS
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from gridconnect.serve.app import create_app
from gridconnect.serve.config import ServeConfig

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"

pytestmark = pytest.mark.slow  # a real browser


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app under uvicorn on a loopback port. The socket is bound and listening before the
    server thread starts, so a connection made at once waits in the backlog: no race."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(ServeConfig()), lifespan="on", log_level="warning", access_log=False
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join()
        sock.close()


def shot(browser: Any, name: str) -> Path:
    path = ARTEFACTS / f"serve-{name}.png"
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def wait_for(browser: Any, element_id: str) -> Any:
    return WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.ID, element_id)))


def decide(browser: Any, server: str, lang: str) -> None:
    browser.get(f"{server}/?lang={lang}")
    box = wait_for(browser, "application")
    box.clear()
    browser.execute_script(
        "arguments[0].value = arguments[1];", box, EXAMPLE.read_text(encoding="utf-8")
    )
    Select(browser.find_element(By.ID, "lang")).select_by_value(lang)
    browser.find_element(By.ID, "decide").click()
    wait_for(browser, "application-id")


def test_a_decision_in_english(browser: Any, server: str) -> None:
    decide(browser, server, "en")
    assert "GZ-HP-" in browser.find_element(By.ID, "application-id").text
    conclusions = browser.find_element(By.ID, "conclusions").text
    assert "Rule" in conclusions
    deadlines = browser.find_elements(By.CSS_SELECTOR, "#deadlines time")
    assert deadlines
    for due in deadlines:
        assert len(due.get_attribute("datetime")) == 10  # a date, YYYY-MM-DD
    trace = browser.find_element(By.ID, "trace").text
    assert "source:" in trace
    assert shot(browser, "decision-en").stat().st_size > 10_000


def test_a_decision_in_chinese(browser: Any, server: str) -> None:
    decide(browser, server, "zh")
    assert "申请" in browser.find_element(By.ID, "application-id").text
    assert "依据" in browser.find_element(By.ID, "trace").text
    assert "截止日期" in browser.find_element(By.ID, "deadlines").text
    shot(browser, "decision-zh")


def test_an_uploaded_file(browser: Any, server: str) -> None:
    browser.get(f"{server}/?lang=en")
    wait_for(browser, "file").send_keys(str(EXAMPLE))
    browser.find_element(By.ID, "decide").click()
    assert "GZ-HP-" in wait_for(browser, "application-id").text


def test_an_invalid_application_is_located(browser: Any, server: str) -> None:
    browser.get(f"{server}/?lang=en")
    wait_for(browser, "application").send_keys('{"id": "A-1", "applied_on": "2026-02-30"}')
    browser.find_element(By.ID, "decide").click()
    problems = wait_for(browser, "problems").text
    assert "$.applied_on" in problems
    assert "为必填项" in problems or "须为" in problems or "日期" in problems
    shot(browser, "error")


def test_the_rules_in_force(browser: Any, server: str) -> None:
    browser.get(f"{server}/ui/rules?lang=en")
    Select(wait_for(browser, "jurisdiction")).select_by_value("440112")
    browser.find_element(By.ID, "show").click()
    WebDriverWait(browser, 30).until(ec.url_contains("jurisdiction=440112"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#rules tr")
    assert len(rows) > 5
    assert "440112" in Select(
        browser.find_element(By.ID, "jurisdiction")
    ).first_selected_option.get_attribute("value")
    shot(browser, "rules")


def test_the_api_docs_render_without_network(browser: Any, server: str) -> None:
    browser.get(f"{server}/docs")
    title = WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )
    assert "gridconnect" in title.text
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert not browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper")  # no complaint
    shot(browser, "docs")


def test_the_form_generated_from_the_schema(browser: Any, server: str) -> None:
    browser.get(f"{server}/?lang=en")
    wait_for(browser, "to-form").click()
    wait_for(browser, "schema-form")
    typed = {
        "id": "FORM-1",
        "applicant.name": "广州示例科技有限公司",
        "applicant.credit_code": "91440112MA5CXK3L27",
        "site.division": "440112",
        "capacity.value": "1600",
        "power_factor": "0.9",
        "works.segments.0.id": "S1",
        "works.segments.0.length_m": "60",
    }
    for name, value in typed.items():
        browser.find_element(By.NAME, name).send_keys(value)
    for name, value in (("applied_on", "2026-04-13"), ("works.approval_filed_on", "2026-04-20")):
        # a date field is typed in the browser's locale: set its value (YYYY-MM-DD) instead
        browser.execute_script(
            "arguments[0].value = arguments[1];", browser.find_element(By.NAME, name), value
        )
    for name, value in (
        ("applicant.kind", "other_enterprise"),
        ("service", "new_connection"),
        ("capacity.unit", "kVA"),
        ("voltage", "10kV"),
        ("works.segments.0.laying", "pipe_jacking"),
        ("works.segments.0.crossings", "national_highway"),
        ("lang", "en"),
    ):
        Select(browser.find_element(By.NAME, name)).select_by_value(value)
    shot(browser, "form")
    browser.find_element(By.ID, "decide").click()
    assert "FORM-1" in wait_for(browser, "application-id").text
    trace = browser.find_element(By.ID, "trace").text
    assert "national_highway" in trace  # the crossing chosen in the multiple choice
    shot(browser, "form-decision")
