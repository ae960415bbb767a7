"""Shared fixtures: a registry built only from given rule data, so tests do not depend on
which plugin packages happen to be installed; and the two test profiles.

The **dev** profile is the default of ``pytest -q``: tests marked ``slow`` (child processes,
browsers, memory runs, seeded-bug searches) are deselected by ``-m 'not slow'`` in pyproject, and
every property test draws a tenth of its examples (:func:`examples`). The **ci** profile is what
``make test`` runs (``pytest -q -m '' --hypothesis-profile=ci``): every test, every example as
written. Nothing else differs: a test that passes in dev runs the same code with fewer draws.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from gridconnect.plugins.registry import Registry

CI_EXAMPLES = 100
"""Hypothesis's own default: the ci profile runs every property test as written."""
DEV_EXAMPLES = 10
"""The dev profile: a tenth of the examples."""

settings.register_profile("ci", max_examples=CI_EXAMPLES)
settings.register_profile("dev", max_examples=DEV_EXAMPLES)
settings.load_profile("dev")  # ``--hypothesis-profile=ci`` loads ci after this file is read


def examples(count: int) -> int:
    """``count`` in the ci profile; the loaded profile's share of it otherwise (at least 2).

    Use for every explicit ``max_examples`` and for hand-drawn sample sizes, so the dev profile
    scales them as it scales the tests that take Hypothesis's default::

        @settings(max_examples=examples(200), deadline=None)
    """
    return max(2, count * settings.default.max_examples // CI_EXAMPLES)


ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))


@pytest.fixture(autouse=True)
def _chinese_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands without ``--lang`` print Chinese in every test, whatever the machine's locale
    (the default follows ``GRIDCONNECT_LANG``, then the locale; see ``default_lang``)."""
    monkeypatch.setenv("GRIDCONNECT_LANG", "zh")


@pytest.fixture
def national_only() -> Registry:
    """The core alone: the built-in national plugin and nothing installed."""
    return Registry(entry_points=False, environment=False)


@pytest.fixture
def rules_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a TOML rules file and return its path."""

    def write(text: str, name: str = "rules.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTEFACTS = ROOT / "tests" / "_artefacts"
"""Where browser tests keep their screenshots (git-ignored)."""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium driven by Selenium, Debian's chromium and chromium-driver (``make``
    installs them with apt-get). Fails, never skips, when they are missing. Save screenshots
    under :data:`ARTEFACTS`."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if shutil.which(p) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: apt-get install chromium chromium-driver "
            "(the Makefile does this on a fresh machine)",
            pytrace=False,
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1600",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    ARTEFACTS.mkdir(exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
