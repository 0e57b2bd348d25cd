"""Latency and load benchmark of `unspin serve` over loopback (`make bench`).

Starts `unspin serve` in a fresh process on a free port, then: the p50/p95 latency of
sequential `POST /api/check` requests on a ~1,000-word text built from the bundled
examples (default engine), and a load test of 20 concurrent clients each sending the
same requests, counting errors. Prints a Markdown table. Needs the `serve` extra.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from bench import example_text, print_table


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    sys.exit("bench_serve: the server did not start")


def main(argv: list[str] | None = None) -> int:
    """Start the server, measure, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="sequential requests")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--per-client", type=int, default=3, help="requests per client")
    args = parser.parse_args(argv)
    text = example_text(1000)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli = Path(sys.executable).parent / "unspin"
    server = subprocess.Popen([str(cli), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(url, 30)
        body = {"text": text}
        with httpx.Client(timeout=120) as client:
            client.post(f"{url}/api/check", json=body).raise_for_status()  # loads the models
            times = []
            for _ in range(args.requests):
                start = time.perf_counter()
                client.post(f"{url}/api/check", json=body).raise_for_status()
                times.append(1000 * (time.perf_counter() - start))

        def one_client(_: int) -> tuple[int, int]:
            ok = errors = 0
            with httpx.Client(timeout=300) as client:
                for _ in range(args.per_client):
                    try:
                        status = client.post(f"{url}/api/check", json=body).status_code
                    except httpx.HTTPError:
                        status = 0
                    ok, errors = (ok + 1, errors) if status == 200 else (ok, errors + 1)
            return ok, errors

        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(one_client, range(args.clients)))
        load_s = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(10)
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    quantiles = statistics.quantiles(times, n=20)
    rows = [
        ("text", f"{len(text.split())} words (the bundled examples, repeated)"),
        (f"`/api/check` latency p50 / p95 ({args.requests} sequential requests)",
         f"{statistics.median(times):.0f} / {quantiles[18]:.0f} ms"),
        (f"{args.clients} concurrent clients x {args.per_client} requests",
         f"{ok} ok, {errors} errors, {load_s:.1f} s ({ok / load_s:.2f} requests/s)"),
    ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
