"""Benchmark: ``POST /v1/evaluate`` of ``gridconnect serve`` under load, on loopback.

Run with ``python bench/bench_serve.py`` (``--help`` for the sizes). This is a script, not a
test. In one run it

1. measures the in-process rate of :func:`gridconnect.evaluate` on the example application
   (already parsed), and of the whole in-process path the server takes (parse the JSON bytes,
   evaluate, serialise the decision as the server does, the CLI's bytes), before and after the
   load runs;
2. starts one server process (uvicorn, one worker, as ``gridconnect serve`` does, with the
   reference engine, or with ``--engine durable`` in its worker process) on a loopback socket
   bound beforehand;
3. sends ``--requests`` requests at 1, 8 and 64 concurrent keep-alive clients (a small asyncio
   HTTP/1.1 client in this process), and prints throughput, p50/p99 latency and errors, and
   the ratios the issue sets targets for: throughput over the in-process ``evaluate`` rate
   (target at least 0.5 at 8 clients) and p99 over the in-process mean (target under 10);
4. sends ``--memory-requests`` more requests at 8 clients and prints the server's resident
   memory after the first tenth and at the end (target: flat).

Client and server share this machine's two cores, so the server gets at most what the client
leaves it; the figures are ratios to rates measured in the same run for that reason.
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
from pathlib import Path

try:
    import gridconnect  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridconnect import evaluate
from gridconnect.model.application import Application
from gridconnect.model.codec import loads
from gridconnect.serve.config import CONFIG_ENV, ServeConfig
from gridconnect.serve.worker import json_bytes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"


def in_process(body: bytes, seconds: float, engine: str) -> tuple[float, float]:
    """Evaluations per second of a parsed application, and of the server's whole path."""
    app = loads(body, Application)
    for _ in range(200):
        evaluate(app, engine=engine)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        evaluate(app, engine=engine)
        n += 1
    bare = n / (time.perf_counter() - start)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        json_bytes(evaluate(loads(body, Application), engine=engine).to_dict())
        n += 1
    whole = n / (time.perf_counter() - start)
    return bare, whole


def start_server(engine: str) -> tuple[subprocess.Popen[bytes], int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    env = {**os.environ, CONFIG_ENV: ServeConfig(engine=engine, log_level="warning").to_env()}
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="per concurrency level")
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--engine", default="reference", choices=["reference", "durable"])
    parser.add_argument("--seconds", type=float, default=2.0, help="per in-process measure")
    args = parser.parse_args()
    body = EXAMPLE.read_bytes()

    bare1, whole1 = in_process(body, args.seconds, args.engine)
    print(f"in-process before: evaluate {bare1:,.0f}/s; parse+evaluate+serialise {whole1:,.0f}/s")
    proc, port = start_server(args.engine)
    try:
        asyncio.run(ready(port))
        asyncio.run(load(port, body, 8, 500))  # warm-up
        results = []
        for clients in (int(c) for c in args.clients.split(",")):
            wall, lat, errors = asyncio.run(load(port, body, clients, args.requests))
            results.append((clients, len(lat) / wall, lat, errors))
        bare2, whole2 = in_process(body, args.seconds, args.engine)
        print(
            f"in-process after:  evaluate {bare2:,.0f}/s; parse+evaluate+serialise {whole2:,.0f}/s"
        )
        bare, whole = (bare1 + bare2) / 2, (whole1 + whole2) / 2
        mean_ms, whole_ms = 1000 / bare, 1000 / whole
        print(f"\nserver: 1 worker process, {args.engine} engine, loopback; client in this process")
        print(f"{'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
              f"{'x evaluate':>11} {'x whole':>8} {'p99/mean':>9} {'p99/whole':>10}")  # fmt: skip
        for clients, rate, lat, errors in results:
            q = statistics.quantiles(lat, n=100)
            p50, p99 = q[49] * 1000, q[98] * 1000
            print(
                f"{clients:>7} {rate:>8,.0f} {p50:>8.2f} {p99:>8.2f} {len(errors):>7} "
                f"{rate / bare:>11.2f} {rate / whole:>8.2f} {p99 / mean_ms:>9.1f} "
                f"{p99 / whole_ms:>10.1f}"
            )
        print(
            "targets: x evaluate >= 0.5 at 8 clients; p99/mean < 10; 0 errors "
            "(x whole, p99/whole: the same against the whole in-process path)"
        )

        if args.memory_requests:
            tenth = max(1, args.memory_requests // 10)
            asyncio.run(load(port, body, 8, tenth))
            early = rss_mb(proc.pid)
            _, lat, errors = asyncio.run(load(port, body, 8, args.memory_requests - tenth))
            late = rss_mb(proc.pid)
            print(
                f"\nmemory over {args.memory_requests:,} requests: {early:.1f} MB after "
                f"{tenth:,}, {late:.1f} MB at the end ({late - early:+.1f} MB); "
                f"{len(errors)} errors (target: flat, 0 errors)"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
