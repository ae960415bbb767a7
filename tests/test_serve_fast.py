"""gridconnect serve's fast ways: ``POST /v1/evaluate`` answered past the framework and the
decision written from the batch's compiled text give the same bytes as the slow ways (and fall
back to them); ``/metrics`` adds up the counters of several server processes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gridconnect.cli import cli
from gridconnect.cli.support import json_text
from gridconnect.decide.evaluate import default_registry, evaluate, match
from gridconnect.model.application import Application
from gridconnect.model.codec import loads
from gridconnect.serve import worker
from gridconnect.serve.app import create_app
from gridconnect.serve.config import MULTIPROCESS_ENV, ServeConfig
from gridconnect.serve.worker import decision_bytes

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
EXAMPLE = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"


# -- the decision from the compiled text ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["reference", "durable"])
@pytest.mark.parametrize("as_of", [None, date(2025, 6, 3), date(2026, 8, 1)])
def test_the_compiled_decision_is_the_slow_ones_bytes(engine: str, as_of: date | None) -> None:
    registry = default_registry()
    fast_ones = 0
    for path in EXAMPLES:
        app = loads(path.read_bytes(), Application)
        slow = json_text(evaluate(app, as_of, engine, registry=registry).to_dict()).encode()
        found = match(app, as_of, engine, registry=registry)
        fast_ones += not (app.bundle or found.unknown_facts)
        # twice: the first answer of a combination is checked, the second is not
        assert decision_bytes(app, as_of, engine, registry) == slow, path.name
        assert decision_bytes(app, as_of, engine, registry) == slow, path.name
    assert fast_ones >= len(EXAMPLES) // 2  # most examples take the compiled way
    assert worker._fast["on"]


def test_the_slow_way_answers_when_the_compiled_text_differs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import gridconnect.batch.serialize as serialize

    registry = default_registry()
    app = loads(EXAMPLE.read_bytes(), Application)
    slow = json_text(evaluate(app, None, "reference", registry=registry).to_dict()).encode()
    match(app, None, "reference", registry=registry).rulebook.cache("serve.checked").clear()
    real = serialize.match_line

    def wrong(*args: Any, **kwargs: Any) -> bytes:
        return real(*args, **kwargs).replace(b'"won"', b'"lost"', 1)

    monkeypatch.setattr(serialize, "match_line", wrong)
    monkeypatch.setitem(worker._fast, "on", True)
    with caplog.at_level(logging.WARNING, logger="gridconnect.serve"):
        assert decision_bytes(app, None, "reference", registry) == slow
    assert not worker._fast["on"]  # the process answers the slow way from then on
    assert any("fast_path_off" in r.getMessage() for r in caplog.records)
    assert decision_bytes(app, None, "reference", registry) == slow


# -- POST /v1/evaluate past the framework --------------------------------------------------------


def _call(
    app: Any, body_chunks: list[bytes], query: bytes = b""
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request straight to the ASGI application, the body in ``body_chunks``."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/evaluate",
        "raw_path": b"/v1/evaluate",
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2),
        "state": {},
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(body_chunks) - 1}
        for i, chunk in enumerate(body_chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], sorted(start["headers"]), body


def test_the_fast_way_and_litestars_answer_alike() -> None:
    app = create_app(ServeConfig(log_level="warning"))
    service = app.state.service
    calls: list[str] = []

    def counted(kind: str, *args: Any) -> Any:
        calls.append(kind)
        return worker.compute(kind, *args)

    service.compute_fn = counted
    body = EXAMPLE.read_bytes()
    third = len(body) // 3
    fast = _call(app, [body])
    chunked = _call(app, [body[:third], body[third : 2 * third], body[2 * third :]])
    framework = _call(app, [body], b"as_of=")  # an empty ?as_of: Litestar's way
    assert fast[0] == 200
    assert fast == chunked == framework
    registry = service.registry
    app_ = loads(body, Application)
    assert (
        fast[2]
        == json_text(evaluate(app_, None, "reference", registry=registry).to_dict()).encode()
    )
    dated = _call(app, [body], b"as_of=2026-08-01")
    assert (
        dated[2]
        == json_text(
            evaluate(app_, date(2026, 8, 1), "reference", registry=registry).to_dict()
        ).encode()
    )
    assert calls == ["evaluate"] * 4

    calls.clear()
    bad = json.dumps({"id": "A-1", "applied_on": "2026-02-30"}).encode()
    status, headers, text = _call(app, [bad[:5], bad[5:]])
    assert status == 422
    assert (b"content-type", b"application/problem+json") in headers
    assert json.loads(text)["instance"] == "/v1/evaluate"
    assert calls == ["evaluate"]  # the error met on the fast way is not decided again
    wrong_date = _call(app, [body], b"as_of=2026-02-30")
    assert wrong_date[0] == 422
    assert json.loads(wrong_date[2])["problems"][0]["path"] == "?as_of"


def test_a_failure_on_the_fast_way_is_a_logged_500_problem(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(ServeConfig(log_level="warning"))

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    app.state.service.compute_fn = broken
    with caplog.at_level(logging.ERROR, logger="gridconnect.serve"):
        status, headers, text = _call(app, [EXAMPLE.read_bytes()])
    assert status == 500
    assert (b"content-type", b"application/problem+json") in headers
    assert json.loads(text)["type"].endswith("/internal")
    assert "a bug" not in text.decode()
    assert any('"internal_error"' in r.getMessage() for r in caplog.records)


def test_a_body_past_the_limit_on_the_fast_way_is_413() -> None:
    app = create_app(ServeConfig(max_body_bytes=1000, log_level="warning"))
    status, _, text = _call(app, [b" " * 600, b" " * 600])
    assert status == 413
    assert json.loads(text)["type"].endswith("/too-large")


# -- /metrics of several server processes ---------------------------------------------------------

_ONE_PROCESS = """
import sys
from pathlib import Path
from litestar.testing import TestClient
from gridconnect.serve.app import create_app
body = Path(sys.argv[2]).read_bytes()
with TestClient(app=create_app()) as client:
    for _ in range(int(sys.argv[1])):
        assert client.post("/v1/evaluate", content=body).status_code == 200
"""


def _sample(text: str, name: str) -> list[float]:
    return [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name)]


def test_metrics_add_up_the_server_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, MULTIPROCESS_ENV: str(tmp_path)}
    for count in (3, 5):  # two server processes, one after the other
        subprocess.run(
            [sys.executable, "-c", _ONE_PROCESS, str(count), str(EXAMPLE)], env=env, check=True
        )
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))
    app = create_app(ServeConfig(log_level="warning"))
    assert app.state.service.metrics_dir == str(tmp_path)
    text = app.state.service.exposition().decode()
    evaluated = 'gridconnect_http_requests_total{method="POST",route="/v1/evaluate",status="200"}'
    assert _sample(text, evaluated) == [8.0]
    assert _sample(text, 'gridconnect_decisions_total{engine="reference"}') == [8.0]
    assert sorted(_sample(text, "gridconnect_worker_http_requests_total{")) == [3.0, 5.0]
    assert _sample(
        text, 'gridconnect_http_request_duration_seconds_count{route="/v1/evaluate"}'
    ) == [8.0]


def test_one_process_reports_its_own_counters(monkeypatch: pytest.MonkeyPatch) -> None:
    from litestar.testing import TestClient

    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    with TestClient(app=create_app(ServeConfig(log_level="warning"))) as client:
        client.post("/v1/evaluate", content=EXAMPLE.read_bytes())
        text = client.get("/metrics").text
    mine = f'gridconnect_worker_http_requests_total{{worker="{os.getpid()}"}}'
    assert _sample(text, mine) == [1.0]  # the /metrics request is counted once it ends


def test_serve_with_workers_gives_them_a_metrics_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    seen: list[tuple[int, str | None, bool]] = []

    def run(*args: Any, **kwargs: Any) -> None:
        directory = os.environ.get(MULTIPROCESS_ENV)
        seen.append(
            (kwargs["workers"], directory, directory is not None and os.path.isdir(directory))
        )

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.delenv(MULTIPROCESS_ENV, raising=False)
    for workers in ("2", "1"):
        result = CliRunner().invoke(cli, ["serve", "--workers", workers])
        assert result.exit_code == 0, result.output
    (two, directory, existed), (one, none, _) = seen
    assert (two, existed, one, none) == (2, True, 1, None)
    assert directory is not None
    assert not os.path.exists(directory)  # removed at the end
    assert MULTIPROCESS_ENV not in os.environ
