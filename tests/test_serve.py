"""gridconnect serve: the same bytes as the CLI, problem+json for bad input (never a 500),
limits, API keys, metrics and logs without personal identifiers."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from gridconnect.cli import cli
from gridconnect.cli.support import json_text
from gridconnect.errors import (
    CalendarError,
    ConflictError,
    EngineError,
    GridconnectError,
    InputError,
    PluginError,
    Problem,
)
from gridconnect.model.application import Application
from gridconnect.model.codec import loads
from gridconnect.serve import worker
from gridconnect.serve.app import create_app
from gridconnect.serve.config import CONFIG_ENV, KEYS_ENV, ServeConfig, read_api_keys
from gridconnect.serve.problems import problem_of

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
EVENTS = ROOT / "examples" / "events"
BUNDLED = [p for p in EXAMPLES if "bundle" in p.name]
PROBLEM = "application/problem+json"


def cli_bytes(*args: str) -> bytes:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout.encode("utf-8")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with TestClient(app=create_app(ServeConfig(engine="reference"))) as c:
        yield c


# -- the same bytes as the CLI -------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_evaluate_is_byte_for_byte_the_cli(client: TestClient[Any], path: Path) -> None:
    response = client.post("/v1/evaluate", content=path.read_bytes())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    printed = cli_bytes("evaluate", "--engine", "reference", "--format", "json", str(path))
    entries = json.loads(printed)
    if isinstance(entries, list):  # one {"file", "decision"} entry per file given
        assert response.content == json_text(entries[0]["decision"]).encode()
        assert printed == json_text([{"file": str(path), "decision": response.json()}]).encode()
    else:  # the decision itself
        assert response.content == printed


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_questions_are_byte_for_byte_ask_json(client: TestClient[Any], path: Path) -> None:
    response = client.post("/v1/questions", content=path.read_bytes())
    assert response.status_code == 200
    assert response.content == cli_bytes(
        "ask", "--engine", "reference", "--format", "json", str(path)
    )


def test_questions_take_answers_as_ask_does(client: TestClient[Any]) -> None:
    path = EXAMPLES[0]
    response = client.post(
        "/v1/questions",
        content=path.read_bytes(),
        params={"answer": ["applicant.ownership=private"], "as_of": "2026-07-01"},
    )
    assert response.status_code == 200
    expected = cli_bytes(
        "ask", "--engine", "reference", "--format", "json", "--as-of", "2026-07-01",
        "--answer", "applicant.ownership=private", str(path),
    )  # fmt: skip
    assert response.content == expected


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explain_is_byte_for_byte_the_cli(client: TestClient[Any], lang: str) -> None:
    for path in EXAMPLES[:3]:
        response = client.post("/v1/explain", content=path.read_bytes(), params={"lang": lang})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.content == cli_bytes(
            "explain", "--engine", "reference", "--lang", lang, str(path)
        )


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundle_is_byte_for_byte_the_cli(client: TestClient[Any], path: Path) -> None:
    response = client.post("/v1/bundle", content=path.read_bytes(), params={"as_of": "2026-08-01"})
    assert response.status_code == 200
    assert response.content == cli_bytes(
        "bundle", "--engine", "reference", "--format", "json", "--as-of", "2026-08-01", str(path)
    )


def test_rules_jurisdictions_and_calendar_are_byte_for_byte_the_cli(
    client: TestClient[Any],
) -> None:
    codes = [row["code"] for row in json.loads(client.get("/v1/jurisdictions").content)]
    assert client.get("/v1/jurisdictions").content == cli_bytes("jurisdictions", "--format", "json")
    for code in codes:
        response = client.get("/v1/rules", params={"jurisdiction": code, "as_of": "2026-07-01"})
        assert response.status_code == 200
        assert response.content == cli_bytes(
            "rules", "-j", code, "--as-of", "2026-07-01", "--format", "json"
        )
    for place in ("guangzhou/huangpu", "广州市黄埔区", "440106"):
        response = client.get("/v1/rules", params={"jurisdiction": place, "as_of": "2026-06-01"})
        assert response.content == cli_bytes(
            "rules", "-j", place, "--as-of", "2026-06-01", "--format", "json"
        )
    response = client.get("/v1/calendar/add", params={"start": "2026-09-30", "n": "5"})
    assert response.content == cli_bytes("calendar", "add", "2026-09-30", "5", "--format", "json")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(JSON_VALUES)
def test_the_json_text_is_the_standard_librarys(value: Any) -> None:
    """json_text's fast way (compact, then msgspec's indent) writes what json.dumps does."""
    assert (
        json_text(value) == json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    )


# -- track ---------------------------------------------------------------------------------------


def _inline_events(tmp_path: Path) -> Path:
    """The example event stream with each submission_ref replaced by the application itself
    (the server refuses references to files on its own disk)."""
    lines = []
    for line in (EVENTS / "stream.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        ref = event.pop("submission_ref", None)
        if ref is not None:
            event["submission"] = json.loads((EVENTS / ref).read_text(encoding="utf-8"))
        lines.append(json.dumps(event, ensure_ascii=False))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_track_events_and_status_match_the_cli(tmp_path: Path) -> None:
    events = _inline_events(tmp_path)
    cli_store, api_store = tmp_path / "cli.sqlite3", tmp_path / "api.sqlite3"
    config = ServeConfig(store=str(api_store), api_keys={"k1"})
    with TestClient(app=create_app(config)) as client:
        response = client.post(
            "/v1/track/events", content=events.read_bytes(), headers={"X-API-Key": "k1"}
        )
        assert response.status_code == 200, response.text
        ingested = json.loads(
            cli_bytes("track", "ingest", str(events), "--store", str(cli_store), "--format", "json")
        )
        del ingested["file"], ingested["store"]
        assert (
            response.content
            == json.dumps(ingested, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
            + b"\n"
        )
        ids = {json.loads(line).get("application") for line in events.read_text().splitlines()}
        ids |= {json.loads(line).get("project") for line in events.read_text().splitlines()}
        for id in sorted(i for i in ids if i):
            response = client.get(
                f"/v1/track/{id}", params={"as_of": "2026-12-31"}, headers={"X-API-Key": "k1"}
            )
            assert response.status_code == 200
            assert response.content == cli_bytes(
                "track", "status", id, "--store", str(cli_store), "--as-of", "2026-12-31",
                "--engine", "reference", "--format", "json",
            )  # fmt: skip
        missing = client.get("/v1/track/NO-SUCH-ID", headers={"X-API-Key": "k1"})
        assert missing.status_code == 422
        assert "NO-SUCH-ID" in missing.json()["problems"][0]["en"]
        assert str(api_store) not in missing.text  # the store's path is not told


def test_track_refuses_files_on_the_server_and_reports_bad_lines(tmp_path: Path) -> None:
    with TestClient(app=create_app(ServeConfig(store=str(tmp_path / "s.sqlite3")))) as client:
        body = (EVENTS / "stream.jsonl").read_bytes() + b"{not json\n"
        response = client.post("/v1/track/events", content=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        paths = [p["path"] for p in problem["problems"]]
        assert any(p.endswith("$.submission_ref") for p in paths)
        assert any(p.startswith("request:48 ") for p in paths)
        assert problem["result"]["new"] > 0  # the valid events were stored all the same


def test_track_is_404_without_a_store(client: TestClient[Any]) -> None:
    response = client.get("/v1/track/A-1")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/no-store")


# -- API keys ------------------------------------------------------------------------------------


def test_api_keys_guard_the_track_endpoints(tmp_path: Path) -> None:
    config = ServeConfig(store=str(tmp_path / "s.sqlite3"), api_keys={"secret-1", "secret-2"})
    body = _inline_events(tmp_path).read_bytes()
    with TestClient(app=create_app(config)) as client:
        for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer nope"}):
            response = client.post("/v1/track/events", content=body, headers=headers)
            assert response.status_code == 401
            assert response.headers["content-type"] == PROBLEM
            assert response.headers["www-authenticate"] == "Bearer"
            assert client.get("/v1/track/P-HP-2025-01", headers=headers).status_code == 401
        ok = client.post("/v1/track/events", content=body, headers={"X-API-Key": "secret-1"})
        assert ok.status_code == 200
        bearer = client.get("/v1/track/P-HP-2025-01", headers={"Authorization": "Bearer secret-2"})
        assert bearer.status_code == 200
        assert client.post("/v1/evaluate", content=EXAMPLES[0].read_bytes()).status_code == 200


def test_api_keys_come_from_a_file_and_the_environment(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# staff\nalpha\n\n beta \n", encoding="utf-8")
    assert read_api_keys(keys, {KEYS_ENV: "gamma, ,delta"}) == {"alpha", "beta", "gamma", "delta"}
    assert read_api_keys(None, {}) == frozenset()


def test_the_config_travels_to_workers_through_the_environment() -> None:
    config = ServeConfig(engine="durable", api_keys={"k"}, max_depth=8, rules=("a.toml",))
    assert ServeConfig.from_env({CONFIG_ENV: config.to_env()}) == config
    assert ServeConfig.from_env({}) == ServeConfig()


# -- problem+json, limits ------------------------------------------------------------------------


def test_invalid_application_gets_the_clis_located_problems(
    client: TestClient[Any], tmp_path: Path
) -> None:
    bad = json.dumps({"id": "A-1", "applied_on": "2026-02-30", "service": "teleport"})
    response = client.post("/v1/evaluate", content=bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert problem["instance"] == "/v1/evaluate"
    with pytest.raises(InputError) as raised:
        loads(bad, Application, source="request")
    expected = [{"path": p.path, "en": p.en, "zh": p.zh} for p in raised.value.problems]
    assert problem["problems"] == expected
    file = tmp_path / "bad.json"
    file.write_text(bad)
    printed = CliRunner().invoke(cli, ["evaluate", str(file)])
    assert printed.exit_code == 2
    for p in expected:
        assert f"{p['path']}: {p['en']} / {p['zh']}" in printed.stderr


def test_too_large_is_413_and_too_deep_is_422() -> None:
    config = ServeConfig(max_body_bytes=2000, max_depth=4)
    with TestClient(app=create_app(config)) as client:
        response = client.post("/v1/evaluate", content=b" " * 2001)
        assert response.status_code == 413
        assert response.json()["type"].endswith("/too-large")
        deep = b'{"id": [[[[["x"]]]]]}'
        response = client.post("/v1/evaluate", content=deep)
        assert response.status_code == 422
        assert response.json()["problems"][0]["en"] == "nested deeper than 4 levels"
        assert client.post("/v1/evaluate", content=b'{"id": [["x"]]}').status_code == 422


def test_bad_query_parameters_are_located(client: TestClient[Any]) -> None:
    for url, where in (
        ("/v1/rules", "?jurisdiction"),
        ("/v1/rules?jurisdiction=440100&as_of=2026-13-01", "?as_of"),
        ("/v1/calendar/add?start=2026-01-01&n=x", "?n"),
        ("/v1/calendar/add?n=1", "?start"),
    ):
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json()["problems"][0]["path"] == where
    unknown = client.get("/v1/rules", params={"jurisdiction": "atlantis"})
    assert unknown.status_code == 422
    assert client.get("/nowhere").status_code == 404
    assert client.get("/v1/evaluate").status_code == 405
    assert client.get("/nowhere").headers["content-type"] == PROBLEM


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=6), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    endpoint=st.sampled_from(["/v1/evaluate", "/v1/explain", "/v1/questions", "/v1/bundle"]),
)
def test_no_input_gets_a_500(client: TestClient[Any], body: bytes, endpoint: str) -> None:
    response = client.post(endpoint, content=body)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"] == PROBLEM
        assert "Traceback" not in response.text
        assert response.json()["problems"]


def test_a_request_past_the_time_limit_gets_503() -> None:
    release = threading.Event()
    app = create_app(ServeConfig(timeout_s=0.05))
    service = app.state.service

    def blocked(*args: Any) -> Any:
        release.wait()
        return worker.compute(*args)

    service.compute_fn = blocked
    with TestClient(app=app) as client:
        try:
            response = client.post("/v1/evaluate", content=EXAMPLES[0].read_bytes())
        finally:
            release.set()
        assert response.status_code == 503
        assert response.json()["type"].endswith("/timeout")


# -- operations ----------------------------------------------------------------------------------


def test_health_readiness_and_metrics(client: TestClient[Any]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["engine"] == "reference"
    client.post("/v1/evaluate", content=EXAMPLES[0].read_bytes())
    text = client.get("/metrics").text
    assert (
        'gridconnect_http_requests_total{method="POST",route="/v1/evaluate",status="200"}' in text
    )
    assert 'gridconnect_decisions_total{engine="reference"}' in text
    assert "gridconnect_http_request_duration_seconds_bucket" in text


def test_logs_are_json_lines_without_personal_identifiers(
    client: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    resident = next(p for p in EXAMPLES if "resident" in p.name)
    app = json.loads(resident.read_text(encoding="utf-8"))
    secrets = [app["id"], app["applicant"]["name"]]
    secrets += [v for v in app["applicant"].values() if isinstance(v, str) and v[:6].isdigit()]
    with caplog.at_level(logging.INFO, logger="gridconnect.serve"):
        client.post("/v1/evaluate", content=resident.read_bytes())
        client.get(f"/v1/track/{app['id']}")
        client.post("/v1/evaluate", content=resident.read_bytes()[:-5])
    records = [r for r in caplog.records if r.name == "gridconnect.serve"]
    assert len(records) == 3
    for record in records:
        entry = json.loads(record.getMessage())
        assert entry["event"] == "request"
        for secret in secrets:
            assert secret not in record.getMessage()
    assert [json.loads(r.getMessage())["route"] for r in records][1] == "/v1/track/{id}"


def test_serve_command_is_registered() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--api-key-file" in result.stdout
    assert "--engine" in result.stdout


def test_each_kind_of_error_has_its_status() -> None:
    cases = [
        (InputError([Problem(path="$.x", en="bad", zh="错")]), 422, "invalid-input"),
        (CalendarError("outside the years", "超出年份"), 422, "invalid-input"),
        (ConflictError("track", [("a", "x", "c1"), ("b", "y", "c2")]), 422, "rule-conflict"),
        (EngineError("engine failed", "引擎出错"), 503, "engine-failure"),
        (PluginError("broken", "损坏", plugin="p", distribution=None, version=None), 503,
         "plugin-unavailable"),
        (GridconnectError("other", "其他"), 422, "not-decidable"),
    ]  # fmt: skip
    for error, status, kind in cases:
        problem = problem_of(error).to_dict("/v1/x")
        assert (problem["status"], problem["type"].rpartition("/")[2]) == (status, kind)
        assert problem["problems"]
        assert all(p["en"] and p["zh"] for p in problem["problems"])


def test_shutdown_finishes_work_then_closes_the_store(tmp_path: Path) -> None:
    app = create_app(ServeConfig(store=str(tmp_path / "s.sqlite3")))
    service = app.state.service
    with TestClient(app=app) as client:
        assert client.get("/readyz").status_code == 200
    assert service.ready is False
    with pytest.raises(RuntimeError):
        service.pool.submit(print)  # no new work after shutdown
    with pytest.raises(sqlite3.ProgrammingError):
        service.tracker.store.count_events()  # closed


# -- the staff pages (the browser test drives them in Chromium) ----------------------------------


def test_the_staff_pages_answer_in_both_languages(client: TestClient[Any]) -> None:
    form = client.get("/?lang=en")
    assert form.status_code == 200
    assert 'name="application"' in form.text
    assert "<script" not in form.text
    example = client.get("/?example=1")
    assert "GZ-NS-2026-0056" in example.text  # the shipped example, pasted in
    body = EXAMPLES[0].read_text(encoding="utf-8")
    app_id = json.loads(body)["id"]
    for lang, word in (("en", "Deadlines"), ("zh", "办理时限")):
        page = client.post("/ui/decision", data={"application": body, "lang": lang})
        assert page.status_code == 200
        assert app_id in page.text
        assert word in page.text
    rules = client.get("/ui/rules", params={"jurisdiction": "440112", "as_of": "2026-06-01"})
    assert rules.status_code == 200
    assert rules.text.count("<tr>") > 5


def test_a_bad_application_on_the_page_is_located_and_escaped(client: TestClient[Any]) -> None:
    bad = json.dumps({"id": "<script>alert(1)</script>", "applied_on": "2026-02-30"})
    page = client.post("/ui/decision", data={"application": bad, "lang": "en"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "$.applied_on" in page.text
    assert "<script>alert" not in page.text
    empty = client.post("/ui/decision", data={"application": "  ", "lang": "en"})
    assert empty.status_code == 422
    assert "paste or upload an application" in empty.text


# -- the durable engine in a worker process ------------------------------------------------------


@pytest.mark.slow
def test_durable_runs_in_a_worker_process_that_is_replaced_when_it_dies() -> None:
    app = create_app(ServeConfig(engine="durable"))
    service = app.state.service
    path = EXAMPLES[0]
    expected = json.loads(
        cli_bytes("evaluate", "--engine", "durable", "--format", "json", str(path))
    )
    decision = expected[0]["decision"] if isinstance(expected, list) else expected
    with TestClient(app=app) as client:
        first = client.post("/v1/evaluate", content=path.read_bytes())
        assert first.status_code == 200
        assert first.content == json_text(decision).encode()
        assert first.json()["engine"] == "durable"
        (process,) = service.processes._processes.values()
        assert process.pid != os.getpid()  # decided in another process
        process.kill()  # as a crash of the engine would end it
        process.join()
        again = client.post("/v1/evaluate", content=path.read_bytes())
        assert again.status_code == 200
        assert again.content == first.content
        assert (
            'gridconnect_engine_restarts_total{reason="crash"} 1.0' in client.get("/metrics").text
        )
        bad = client.post("/v1/evaluate", content=b'{"id": 1}')
        assert bad.status_code == 422  # problems cross the process boundary as data
        assert bad.json()["problems"][0]["path"] == "$.id"
