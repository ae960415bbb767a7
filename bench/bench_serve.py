"""Benchmark: ``POST /v1/evaluate`` of ``gridconnect serve`` under load, on loopback.

Run with ``python bench/bench_serve.py`` (``--help`` for the sizes). This is a script, not a
test. In one run it

1. measures in this process, before and after the load runs: the rate of
   :func:`gridconnect.evaluate` on the example application (already parsed); of the server's
   own work on a request (:func:`gridconnect.serve.worker.compute`: parse the JSON bytes,
   decide, write the CLI's bytes); and of the CLI's way (parse, evaluate, ``to_dict``,
   serialise), each also in CPU time per call;
2. starts one server process (uvicorn, one worker, as ``gridconnect serve`` does, with the
   reference engine, or with ``--engine durable`` in its worker process) on a loopback socket
   bound beforehand;
3. sends ``--requests`` requests at 1, 8 and 64 concurrent keep-alive clients (a small asyncio
   HTTP/1.1 client in this process), and prints throughput, p50/p99 latency, errors and the
   server's CPU time per request, with the ratios the issue sets targets for: throughput over
   the in-process ``evaluate`` rate (target at least 0.5 at 8 clients) and p99 over the
   in-process mean (target under 10). ``cpu x evaluate`` is the capacity of one server
   process, the same ratio in CPU time (evaluate's CPU per call over the server's CPU per
   request): what the throughput ratio would be if the server had a core to itself;
4. sends ``--memory-requests`` more requests at 8 clients (10,000 by default; ``--long``:
   100,000) and prints the resident memory of the server and of its worker processes after
   the first tenth and at the end, and their ratio (target: flat).

Client and server share this machine's two cores (and other work), so the server gets at most
what the rest leaves it; the figures are ratios to rates measured in the same run for that
reason.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    import gridconnect  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridconnect import evaluate
from gridconnect.cli.support import json_text
from gridconnect.decide.evaluate import default_registry
from gridconnect.model.application import Application
from gridconnect.model.codec import MAX_DEPTH, loads
from gridconnect.serve.config import CONFIG_ENV, ServeConfig
from gridconnect.serve.worker import compute

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"


def _rate(call: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Calls per second of wall time, and CPU seconds per call."""
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        call()
        n += 1
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n


def in_process(body: bytes, seconds: float, engine: str) -> dict[str, tuple[float, float]]:
    """The rate and CPU per call of evaluate alone, of the server's work on a request, and of
    the CLI's way, each as ``(per second, CPU seconds per call)``."""
    app = loads(body, Application)
    registry = default_registry()
    state = {"registry": registry, "engine": engine, "max_depth": MAX_DEPTH}
    for _ in range(200):
        evaluate(app, engine=engine, registry=registry)
        compute("evaluate", body, state=state)
    return {
        "evaluate": _rate(lambda: evaluate(app, engine=engine, registry=registry), seconds),
        "server": _rate(lambda: compute("evaluate", body, state=state), seconds),
        "cli": _rate(
            lambda: json_text(
                evaluate(loads(body, Application), engine=engine, registry=registry).to_dict()
            ).encode(),
            seconds,
        ),
    }


def start_server(engine: str, threads: int = 4) -> tuple[subprocess.Popen[bytes], int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    config = ServeConfig(engine=engine, threads=threads, log_level="warning")
    env = {**os.environ, CONFIG_ENV: config.to_env()}
    # uvicorn's own --fd takes the socket for a Unix one, and so leaves Nagle's algorithm on
    # (40 ms stalls on keep-alive); socket.socket(fileno=...) finds the family itself.
    code = (
        "import socket, sys, uvicorn\n"
        "sock = socket.socket(fileno=int(sys.argv[1]))\n"
        "config = uvicorn.Config('gridconnect.serve.app:create_app_from_env', factory=True, "
        "access_log=False, log_level='warning')\n"
        "uvicorn.Server(config).run(sockets=[sock])\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(sock.fileno())], pass_fds=[sock.fileno()], env=env
    )
    sock.close()
    return proc, port


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    """The worker processes of ``pid`` (and theirs)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *children(int(child))]
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by ``pid`` and its running worker processes."""
    total = 0.0
    for p in (pid, *children(pid)):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _client(
    port: int, request: bytes, count: int, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(count):
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != 200:
                errors.append(str(status))
    finally:
        writer.close()


async def load(
    port: int, body: bytes, clients: int, total: int
) -> tuple[float, list[float], list[str]]:
    request = (
        b"POST /v1/evaluate HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    latencies: list[float] = []
    errors: list[str] = []
    per = max(1, total // clients)
    start = time.perf_counter()
    await asyncio.gather(*(_client(port, request, per, latencies, errors) for _ in range(clients)))
    return time.perf_counter() - start, latencies, errors


async def ready(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /readyz HTTP/1.1\r\nHost: bench\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"server not ready: {head!r}")


def _line(name: str, rates: dict[str, tuple[float, float]]) -> str:
    parts = [f"{k} {r:,.0f}/s ({c * 1000:.3f} ms CPU)" for k, (r, c) in rates.items()]
    return f"in-process {name}: " + "; ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="per concurrency level")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--long", action="store_true", help="100,000 memory requests")
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--engine", default="reference", choices=["reference", "durable"])
    parser.add_argument("--threads", type=int, default=4, help="the server's deciding threads")
    parser.add_argument("--seconds", type=float, default=2.0, help="per in-process measure")
    args = parser.parse_args()
    memory_requests = 100_000 if args.long else args.memory_requests
    body = EXAMPLE.read_bytes()

    before = in_process(body, args.seconds, args.engine)
    print(_line("before", before) + "  (evaluate; server = worker.compute; cli = the CLI's way)")
    proc, port = start_server(args.engine, args.threads)
    try:
        asyncio.run(ready(port))
        asyncio.run(load(port, body, 8, 500))  # warm-up
        results = []
        for clients in (int(c) for c in args.clients.split(",")):
            cpu = cpu_seconds(proc.pid)
            wall, lat, errors = asyncio.run(load(port, body, clients, args.requests))
            cpu = (cpu_seconds(proc.pid) - cpu) / len(lat)
            results.append((clients, len(lat) / wall, lat, errors, cpu))
        after = in_process(body, args.seconds, args.engine)
        print(_line("after ", after))
        rates = {k: (before[k][0] + after[k][0]) / 2 for k in before}
        cpus = {k: (before[k][1] + after[k][1]) / 2 for k in before}
        bare, mean_ms = rates["evaluate"], 1000 / rates["evaluate"]
        print(f"\nserver: 1 worker process, {args.engine} engine, loopback; client in this process")
        print(f"{'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'x evaluate':>11} {'p99/mean':>9} {'cpu ms/req':>11} {'cpu x evaluate':>15} "
              f"{'x server':>9} {'x cli':>6}")  # fmt: skip
        for clients, rate, lat, errors, cpu in results:
            q = statistics.quantiles(lat, n=100)
            p50, p99 = q[49] * 1000, q[98] * 1000
            print(
                f"{clients:>7} {rate:>8,.0f} {p50:>8.2f} {p99:>8.2f} {len(errors):>7} "
                f"{rate / bare:>11.2f} {p99 / mean_ms:>9.1f} {cpu * 1000:>11.3f} "
                f"{cpus['evaluate'] / cpu:>15.2f} {rate / rates['server']:>9.2f} "
                f"{rate / rates['cli']:>6.2f}"
            )
        print(
            "targets: x evaluate >= 0.5 at 8 clients; p99/mean < 10; 0 errors. cpu x evaluate: "
            "evaluate's CPU per call / the server's per request (its capacity, one core); "
            "x server, x cli: throughput over the in-process rate of the server's own work and "
            "of the CLI's way"
        )

        if memory_requests:
            tenth = max(1, memory_requests // 10)
            _, _, errors = asyncio.run(load(port, body, 8, tenth))
            early = {p: rss_mb(p) for p in (proc.pid, *children(proc.pid))}
            _, lat, late_errors = asyncio.run(load(port, body, 8, memory_requests - tenth))
            late = {p: rss_mb(p) for p in early}
            print(f"\nmemory over {memory_requests:,} requests at 8 clients (target: flat):")
            for p in early:
                what = "server" if p == proc.pid else f"worker {p}"
                print(
                    f"  {what}: {early[p]:.1f} MB after {tenth:,}, {late[p]:.1f} MB at the end "
                    f"(x{late[p] / early[p]:.3f}, {late[p] - early[p]:+.1f} MB)"
                )
            print(f"  {len(errors) + len(late_errors)} errors")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
