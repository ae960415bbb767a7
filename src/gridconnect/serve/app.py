"""The ASGI application of ``gridconnect serve`` (Litestar).

Every ``/v1`` endpoint answers with exactly the bytes the matching CLI command prints with
``--format json`` (``explain``: its text), because it calls the same functions and serialises
with :func:`gridconnect.cli.support.json_text`. Errors are RFC 9457
problem+json carrying the located bilingual problems of :mod:`gridconnect.errors`; no request
gets a traceback. Applications are decided by :mod:`gridconnect.serve.worker`, in this process
(reference engine) or in a worker process (durable).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import multiprocessing
import os
import re
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, TypeVar

from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Send
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from gridconnect.cli import calendar_add_result, jurisdiction_rows, rule_rows
from gridconnect.cli.support import json_text
from gridconnect.decide.evaluate import get_engine
from gridconnect.errors import GridconnectError, InputError, Problem
from gridconnect.interview import split_answer
from gridconnect.lifecycle.cli import status_of
from gridconnect.lifecycle.events import parse_event
from gridconnect.lifecycle.store import StoreError
from gridconnect.lifecycle.tracker import Tracker
from gridconnect.model.codec import loads
from gridconnect.plugins.registry import Registry
from gridconnect.rules.places import find_jurisdiction
from gridconnect.serve import worker
from gridconnect.serve.config import MULTIPROCESS_ENV, ServeConfig
from gridconnect.serve.problems import PROBLEM_MEDIA_TYPE, HttpError, problem_of
from gridconnect.serve.worker import SOURCE, Outcome, check_depth

__all__ = ["Service", "create_app", "create_app_from_env"]


JSON = "application/json"
log = logging.getLogger("gridconnect.serve")
T = TypeVar("T")


# -- the service behind the endpoints ------------------------------------------------------------


class Service:
    """The registry, engine, pools, track store and metrics of one server process.

    With the reference engine, applications are decided in this process, on ``threads``
    threads. With durable, they are decided in a worker process (spawned, with its own
    registry): if it dies, the request is tried once more in a new one, and a request past its
    time limit has its worker killed and replaced, so neither a crash nor a runaway evaluation
    takes the server down."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.registry = Registry(
            local=config.rules,
            modules=config.modules,
            disable=config.disable,
            allow_broken=config.allow_broken,
        )
        self.engine = config.engine
        get_engine(config.engine)  # an unknown or unavailable engine fails at start
        self.pool = ThreadPoolExecutor(config.threads, thread_name_prefix="gridconnect")
        self.state: dict[str, Any] = {
            "registry": self.registry,
            "engine": self.engine,
            "max_depth": config.max_depth,
        }
        self.compute_fn: Callable[..., Outcome] = worker.compute
        self.processes: ProcessPoolExecutor | None = None
        if config.engine == "durable":
            self.processes = self._new_processes()
        self.tracker: Tracker | None = None
        self.track_pool = ThreadPoolExecutor(1, thread_name_prefix="gridconnect-track")
        if config.store is not None:  # lifecycle rules on the reference engine: in-process
            self.tracker = Tracker(config.store, registry=self.registry, engine="reference")
        self.ready = False
        self.metrics = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gridconnect_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.metrics,
        )
        self.latency = Histogram(
            "gridconnect_http_request_duration_seconds",
            "Time from request to the end of the response, by route template.",
            ["route"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.metrics,
        )
        self.decisions = Counter(
            "gridconnect_decisions",
            "Applications decided, by engine.",
            ["engine"],
            registry=self.metrics,
        )
        self.restarts = Counter(
            "gridconnect_engine_restarts",
            "Engine worker processes replaced, by reason (crash or timeout).",
            ["reason"],
            registry=self.metrics,
        )
        self.worker_requests = Counter(
            "gridconnect_worker_http_requests",
            "HTTP requests answered by each server process (worker: its process id).",
            ["worker"],
            registry=self.metrics,
        ).labels(str(os.getpid()))
        self.metrics_dir: str | None = os.environ.get(MULTIPROCESS_ENV) or None
        """Where the server processes of ``gridconnect serve --workers N`` keep their counters
        (prometheus_client's multiprocess mode), so that ``/metrics`` adds them up whichever
        process answers; None: this process's own counters."""

    def exposition(self) -> bytes:
        """The Prometheus text of ``/metrics``: with several server processes, every one's
        counters and histograms added up (``gridconnect_worker_http_requests`` keeps one row
        per process); else this process's own."""
        if self.metrics_dir is None:
            return generate_latest(self.metrics)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.metrics_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    def _new_processes(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.init,
            initargs=(self.config.to_env(),),
        )

    def _replace(self, pool: ProcessPoolExecutor, reason: str) -> None:
        """Put a new worker process in place of ``pool``'s (killed if it still runs)."""
        if self.processes is pool:
            self.processes = self._new_processes()
            self.restarts.labels(reason).inc()
            log.warning(json.dumps({"event": "engine_restart", "reason": reason}))
        processes = getattr(pool, "_processes", None) or {}
        for process in list(processes.values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let running work finish, then stop the worker process and close the store."""
        self.pool.shutdown(wait=True)
        self.track_pool.shutdown(wait=True)
        if self.processes is not None:
            self.processes.shutdown(wait=True)
        if self.tracker is not None:
            self.tracker.close()

    def _timeout(self) -> HttpError:
        return HttpError(
            503,
            "timeout",
            ("Took too long", "处理超时"),
            (
                f"the request took longer than {self.config.timeout_s:g} s",
                f"请求处理超过 {self.config.timeout_s:g} 秒",
            ),
        )

    async def run(self, func: Callable[[], T], *, track: bool = False) -> T:
        """``func`` in a thread of this process, within the request time limit (503 past it:
        the work is abandoned and its result dropped)."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.track_pool if track else self.pool, func)
        try:
            return await asyncio.wait_for(future, self.config.timeout_s)
        except TimeoutError:
            raise self._timeout() from None

    async def _in_worker(self, *args: Any) -> Outcome:
        """``worker.compute(*args)`` in the worker process: a crash is tried once more in a new
        one; past the time limit the worker is killed and replaced."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self.processes
            assert pool is not None
            try:
                future = loop.run_in_executor(pool, worker.compute, *args)
                outcome: Outcome = await asyncio.wait_for(future, self.config.timeout_s)
                return outcome
            except BrokenProcessPool:
                self._replace(pool, "crash")
                if attempt == 2:
                    raise HttpError(
                        503,
                        "engine-crashed",
                        ("The rules engine crashed", "规则引擎崩溃"),
                        (
                            "the engine's worker process died twice on this request",
                            "规则引擎的工作进程处理此请求时两次退出",
                        ),
                    ) from None
            except TimeoutError:
                self._replace(pool, "timeout")
                raise self._timeout() from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def compute(
        self,
        kind: str,
        body: bytes,
        as_of: date | None = None,
        lang: str = "zh",
        answers: tuple[tuple[str, Any], ...] = (),
    ) -> bytes:
        """One application's answer (:func:`gridconnect.serve.worker.compute`), decided where
        the engine runs; a problem is raised as :class:`HttpError`."""
        if self.processes is None:
            call = functools.partial(self.compute_fn, kind, body, as_of, lang, answers, self.state)
            outcome = await self.run(call)
        else:
            outcome = await self._in_worker(kind, body, as_of, lang, answers)
        _, media, payload = outcome
        if media == "problem":
            raise HttpError.from_dict(payload)
        self.decisions.labels(self.engine).inc()
        answer: bytes = payload
        return answer


# -- request helpers -----------------------------------------------------------------------------


def _service(request: Request[Any, Any, Any]) -> Service:
    service: Service = request.app.state.service
    return service


def _json(data: Any) -> Response[bytes]:
    return Response(json_text(data).encode(), media_type=JSON)


def _query_date(request: Request[Any, Any, Any], name: str) -> date | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            [
                Problem(
                    path=f"?{name}", en="is not a date YYYY-MM-DD", zh="不是有效日期（YYYY-MM-DD）"
                )
            ],
            source=SOURCE,
        ) from None


def _query_lang(request: Request[Any, Any, Any]) -> str:
    lang = request.query_params.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise InputError(
            [Problem(path="?lang", en="must be one of: zh, en", zh="须为以下之一：zh, en")],
            source=SOURCE,
        )
    return lang


def _check_key(request: Request[Any, Any, Any], service: Service) -> None:
    keys = service.config.api_keys
    if not keys:
        return
    given = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if given is None and auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    if given is None or not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise HttpError(
            401,
            "unauthorized",
            ("API key required", "需要 API 密钥"),
            (
                "this endpoint needs a valid API key (X-API-Key or Authorization: Bearer)",
                "此接口需要有效的 API 密钥（X-API-Key 或 Authorization: Bearer）",
            ),
            www_authenticate="Bearer",
        )


def _tracker(service: Service) -> Tracker:
    if service.tracker is None:
        raise HttpError(
            404,
            "no-store",
            ("Tracking is not enabled", "未启用跟踪"),
            (
                "this server has no track store (start it with --store)",
                "本服务未配置跟踪存储（以 --store 启动）",
            ),
        )
    return service.tracker


# -- the /v1 endpoints ---------------------------------------------------------------------------


@post("/v1/evaluate", status_code=200)
async def evaluate_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The decision on one application, the JSON ``gridconnect evaluate --format json FILE``
    prints for it (the ``decision`` of the file's entry), serialised the same way."""
    error = request.scope.get(_ERROR_KEY)
    if isinstance(error, Exception):  # already met by _fast_evaluate: not decided twice
        raise error
    service = _service(request)
    body = await request.body()
    answer = await service.compute("evaluate", body, _query_date(request, "as_of"))
    return Response(answer, media_type=JSON)


@post("/v1/explain", status_code=200)
async def explain_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect explain FILE``: the derivation as text (``?lang=zh|en``)."""
    service = _service(request)
    body = await request.body()
    as_of, lang = _query_date(request, "as_of"), _query_lang(request)
    answer = await service.compute("explain", body, as_of, lang)
    return Response(answer, media_type="text/plain")


@post("/v1/questions", status_code=200)
async def questions_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect ask --format json FILE [--answer PATH=VALUE ...]``: the questions that
    could change the decision, the undetermined slots and the decision."""
    service = _service(request)
    body = await request.body()
    as_of = _query_date(request, "as_of")
    answers = []
    for item in request.query_params.getall("answer", []):
        try:
            answers.append(split_answer(item))
        except ValueError:
            raise InputError(
                [Problem(path="?answer", en="is not PATH=VALUE", zh="应为 字段路径=值")],
                source=SOURCE,
            ) from None
    answer = await service.compute("questions", body, as_of, "zh", tuple(answers))
    return Response(answer, media_type=JSON)


@post("/v1/bundle", status_code=200)
async def bundle_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect bundle --format json FILE``: the 一次办 plan."""
    service = _service(request)
    body = await request.body()
    answer = await service.compute("bundle", body, _query_date(request, "as_of"))
    return Response(answer, media_type=JSON)


@get("/v1/rules")
async def rules_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect rules -j PLACE --as-of DATE --format json`` (a code, an alias or a
    Chinese place name, found as the CLI finds it)."""
    service = _service(request)
    jurisdiction = request.query_params.get("jurisdiction")
    if not jurisdiction:
        raise InputError(
            [Problem(path="?jurisdiction", en="is required", zh="为必填项")], source=SOURCE
        )
    as_of = _query_date(request, "as_of") or date.today()

    def work() -> bytes:
        catalogue = service.registry.catalogue
        found = find_jurisdiction(catalogue, jurisdiction)  # a code, an alias or a place name
        return json_text(rule_rows(catalogue.rulebook(found.jurisdiction.code, as_of))).encode()

    return Response(await service.run(work), media_type=JSON)


@get("/v1/jurisdictions")
async def jurisdictions_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect jurisdictions --format json``."""
    return _json(jurisdiction_rows(_service(request).registry.catalogue))


@get("/v1/calendar/add")
async def calendar_add_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect calendar add START N --format json [--lenient]``."""
    start = _query_date(request, "start")
    if start is None:
        raise InputError([Problem(path="?start", en="is required", zh="为必填项")], source=SOURCE)
    text = request.query_params.get("n", "")
    try:
        n = int(text)
    except ValueError:
        raise InputError(
            [Problem(path="?n", en="must be an integer", zh="须为整数")], source=SOURCE
        ) from None
    if abs(n) > 10_000:
        raise InputError(
            [Problem(path="?n", en="must be within ±10000", zh="须在 ±10000 以内")], source=SOURCE
        )
    lenient = request.query_params.get("lenient", "false").lower() in ("1", "true", "yes")
    return _json(calendar_add_result(start, n, lenient=lenient))


def _events(body: bytes, service: Service) -> list[tuple[str, Any]]:
    """The JSON Lines of a request as ``(where, event or InputError)``, as ``read_events``
    gives them, except that ``submission_ref`` (a file on the server) is refused."""
    items: list[tuple[str, Any]] = []
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{SOURCE}:{number}"
        try:
            check_depth(line, service.config.max_depth)
            data = loads(line, dict[str, Any], source=where)
            if isinstance(data, dict) and "submission_ref" in data:
                raise InputError(
                    [
                        Problem(
                            path="$.submission_ref",
                            en="not accepted over HTTP: give the application as submission",
                            zh="HTTP 接口不接受文件引用：请以 submission 直接提交申请",
                        )
                    ],
                    source=where,
                )
            items.append((where, parse_event(data, source=where)))
        except InputError as error:
            items.append((where, error))
    return items


@post("/v1/track/events", status_code=200)
async def track_events_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect track ingest --format json``: JSON Lines of events in, the ingest result
    out (without the CLI's ``file`` and ``store``). Any invalid or conflicting event makes it
    422, with the result beside the problems; the valid events are stored all the same."""
    service = _service(request)
    _check_key(request, service)
    tracker = _tracker(service)
    body = await request.body()

    def work() -> dict[str, Any]:
        result = tracker.ingest(_events(body, service), source=SOURCE)
        data = result.to_dict()
        bad = result.invalid + result.conflicts
        if bad:
            problems = [
                Problem(path=f"{e.source or SOURCE} {p.path}", en=p.en, zh=p.zh)
                for e in bad
                for p in e.problems
            ]
            raise HttpError(
                422,
                "invalid-events",
                ("Invalid events", "事件无效"),
                (
                    f"{len(bad)} event(s) invalid or conflicting; the others were stored",
                    f"{len(bad)} 个事件无效或冲突；其余已存储",
                ),
                problems,
                result=data,
            )
        return data

    return _json(await _store_call(service, work))


@get("/v1/track/{id:str}")
async def track_status_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    """``gridconnect track status ID --format json``: an application or project, with its
    clocks (``?as_of``, ``?baseline_as_of``, ``?baseline_jurisdiction``)."""
    service = _service(request)
    _check_key(request, service)
    tracker = _tracker(service)
    id: str = request.path_params["id"]
    as_of = _query_date(request, "as_of")
    baseline_as_of = _query_date(request, "baseline_as_of")
    baseline_jurisdiction = request.query_params.get("baseline_jurisdiction") or None

    def work() -> dict[str, Any]:
        _, data, _, _ = status_of(
            tracker, id, as_of, baseline_as_of, baseline_jurisdiction, where="the store"
        )
        return data

    return _json(await _store_call(service, work))


async def _store_call(service: Service, work: Callable[[], T]) -> T:
    try:
        return await service.run(work, track=True)
    except (StoreError, sqlite3.Error) as error:
        log.error(json.dumps({"event": "store_error", "error": type(error).__name__}))
        raise HttpError(
            503,
            "store-unavailable",
            ("The track store is unavailable", "跟踪存储不可用"),
            ("the track store cannot be used now", "跟踪存储暂不可用"),
        ) from None


# -- operations ----------------------------------------------------------------------------------


@get("/healthz")
async def healthz() -> Response[bytes]:
    """The process answers."""
    return _json({"status": "ok"})


@get("/readyz")
async def readyz(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Rules loaded and the engine warmed: ready for traffic (503 before, and while stopping)."""
    service = _service(request)
    if not service.ready:
        return Response(
            json_text({"status": "starting"}).encode(), media_type=JSON, status_code=503
        )
    return _json(
        {
            "status": "ready",
            "engine": service.engine,
            "plugins": [p.name for p in service.registry.plugins],
            "track": service.tracker is not None,
        }
    )


@get("/metrics")
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text exposition of the counters and latency histogram (of every server
    process, added up, when there are several: :meth:`Service.exposition`)."""
    media_type = CONTENT_TYPE_LATEST.removesuffix("; charset=utf-8")  # Litestar adds it
    return Response(_service(request).exposition(), media_type=media_type)


# -- errors as problem+json ----------------------------------------------------------------------


def _problem_response(request: Request[Any, Any, Any], problem: HttpError) -> Response[Any]:
    headers = {}
    if "www_authenticate" in problem.extra:
        headers["WWW-Authenticate"] = str(problem.extra.pop("www_authenticate"))
    if request.scope.get("path_template", "").startswith("/ui") or request.url.path == "/":
        from gridconnect.serve.pages import error_page

        return error_page(request, problem)
    return Response(
        json_text(problem.to_dict(request.url.path)).encode(),
        media_type=PROBLEM_MEDIA_TYPE,
        status_code=problem.status,
        headers=headers,
    )


def _on_api_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HttpError)
    return _problem_response(request, exc)


def _on_gridconnect_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, GridconnectError)
    return _problem_response(request, problem_of(exc))


_HTTP_KINDS = {
    400: ("bad-request", ("Bad request", "请求有误")),
    401: ("unauthorized", ("Unauthorized", "未授权")),
    404: ("not-found", ("Not found", "未找到")),
    405: ("method-not-allowed", ("Method not allowed", "不支持该方法")),
    413: ("too-large", ("Request too large", "请求过大")),
}


def _on_http_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    kind, title = _HTTP_KINDS.get(status, ("http-error", ("HTTP error", "HTTP 错误")))
    if status == 413:
        limit = _service(request).config.max_body_bytes
        detail = (f"the body is larger than {limit} bytes", f"请求正文超过 {limit} 字节")
    else:
        detail = (str(exc.detail), title[1])
    return _problem_response(request, HttpError(status, kind, title, detail))


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error(json.dumps({"event": "internal_error", "error": type(exc).__name__}))
    return _problem_response(
        request,
        HttpError(
            500,
            "internal",
            ("Internal error", "内部错误"),
            (
                "the server failed on this request; it has been logged",
                "服务器处理此请求时出错，已记录",
            ),
        ),
    )


# -- logging and metrics middleware --------------------------------------------------------------


def _observed(service_of: Callable[[], Service | None], app: ASGIApp) -> ASGIApp:
    """Count and time every HTTP request by its route template, and log it as one JSON line
    (method, route template, status, duration, sizes: no path values, query or body, so no
    personal identifier reaches the log)."""

    async def wrapped(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            if route.startswith("/docs/assets"):
                route = "/docs/assets"
            service = service_of()
            if service is not None:
                service.requests.labels(route, scope["method"], str(status)).inc()
                service.latency.labels(route).observe(elapsed)
                service.worker_requests.inc()
            if log.isEnabledFor(logging.INFO):
                log.info(
                    json.dumps(
                        {
                            "event": "request",
                            "method": scope["method"],
                            "route": route,
                            "status": status,
                            "ms": round(elapsed * 1000, 3),
                            "bytes_out": sent,
                        }
                    )
                )

    return wrapped


# -- POST /v1/evaluate past the framework -------------------------------------------------------

_EVALUATE = "/v1/evaluate"
_ERROR_KEY = "gridconnect.error"
_AS_OF = re.compile(rb"as_of=([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _replay(messages: list[Any], receive: Receive) -> Receive:
    """``receive`` with ``messages`` (already received) given again first."""
    pending = list(messages)

    async def replayed() -> Any:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def _fast_evaluate(service: Service, app: ASGIApp) -> ASGIApp:
    """Answer the common ``POST /v1/evaluate`` (a body within the size limit, no query but a
    valid ``?as_of``) straight from :meth:`Service.compute`, past Litestar's routing, request
    and response objects: the same bytes and headers as :func:`evaluate_endpoint` at a third
    less CPU per request. Everything else goes to Litestar with the body received so far
    given again; an error met here (a problem in the application, the time limit) is handed
    to :func:`evaluate_endpoint`, which raises it without deciding the application again, so
    every problem+json (and the 500 of an unexpected failure) still comes from one place."""
    limit = service.config.max_body_bytes

    async def handler(scope: Any, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != _EVALUATE or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        as_of: date | None = None
        query: bytes = scope.get("query_string", b"")
        if query:
            found = _AS_OF.fullmatch(query)
            try:
                as_of = date.fromisoformat(found[1].decode()) if found else None
            except ValueError:
                as_of = None
            if as_of is None:  # Litestar and _query_date say what is wrong with it
                await app(scope, receive, send)
                return
        messages: list[Any] = []  # what receive gave
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                await app(scope, _replay(messages, receive), send)
                return
            size += len(message.get("body", b""))
            if size > limit:  # Litestar answers 413
                await app(scope, _replay(messages, receive), send)
                return
            if not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages)
        try:
            answer = await service.compute("evaluate", body, as_of)
        except Exception as error:  # a problem, the time limit, or a bug: Litestar answers
            scope[_ERROR_KEY] = error
            await app(scope, _replay(messages, receive), send)
            return
        scope["path_template"] = _EVALUATE  # the route the metrics and the log name
        headers = [(b"content-type", JSON.encode()), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer, "more_body": False})

    return handler


# -- the application -----------------------------------------------------------------------------


def create_app(config: ServeConfig | None = None) -> Litestar:
    """The ASGI application for ``config`` (defaults: reference engine, no track store)."""
    from gridconnect.serve import openapi, pages

    cfg = config or ServeConfig()
    service = Service(cfg)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # warm up (rulebooks, the OpenAPI examples, the engine's worker process) before
        # /readyz says ready; no time limit
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(service.pool, openapi.document, service.registry, "reference")
        if service.processes is not None:
            example = openapi.example_application()
            await loop.run_in_executor(service.processes, worker.compute, "evaluate", example)
        service.ready = True
        log.info(json.dumps({"event": "ready", "engine": service.engine}))
        try:
            yield
        finally:
            service.ready = False
            service.close()
            log.info(json.dumps({"event": "stopped"}))

    app = Litestar(
        route_handlers=[
            evaluate_endpoint,
            explain_endpoint,
            questions_endpoint,
            bundle_endpoint,
            rules_endpoint,
            jurisdictions_endpoint,
            calendar_add_endpoint,
            track_events_endpoint,
            track_status_endpoint,
            healthz,
            readyz,
            metrics,
            *openapi.handlers(),
            create_static_files_router(
                path="/docs/assets", directories=[openapi.assets_dir()], name="docs-assets"
            ),
            *pages.handlers(),
        ],
        openapi_config=None,
        request_max_body_size=cfg.max_body_bytes,
        lifespan=[lifespan],
        exception_handlers={
            HttpError: _on_api_problem,
            GridconnectError: _on_gridconnect_error,
            HTTPException: _on_http_exception,
            NotFoundException: _on_http_exception,
            Exception: _on_unexpected,
        },
        debug=False,
        logging_config=None,
    )
    app.state.service = service
    app.asgi_handler = _observed(lambda: service, _fast_evaluate(service, app.asgi_handler))
    return app


def create_app_from_env() -> Litestar:
    """The application configured by ``GRIDCONNECT_SERVE_CONFIG`` (what ``gridconnect serve``
    sets for its worker processes), logging its JSON lines to standard error."""
    config = ServeConfig.from_env()
    if not log.handlers:  # each worker process configures its own
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(config.log_level.upper())
    return create_app(config)
