"""Benchmark: what does an idle live page cost? (issue 20: "an idle open page: bytes per check on the phone,
and its server CPU against the app's floor").

One gunicorn worker (sync) serves the seeded demo city on a scratch database of either kind. The medic
`medis` logs in; then, one request at a time over loopback, with the headers a phone's Chrome sends:
  * idle check: GET of the station page with If-None-Match of its current ETag (siaga/live.py): a 304;
  * floor: GET of an endpoint that does not exist, same session: every hook (user load, request id, log
    line) and the JSON 404, no view (as bench/write_path.py's floor): what any request costs first;
  * full page: the station page without the condition (what a check costs when something changed).
For each: bytes on the wire per request (request line and headers as sent, response as received: raw
socket, HTTP/1.1 without compression) and the worker's CPU per request (utime + stime of the worker
process from /proc, so the client's own work is not counted), and the CPU against the floor.

Usage:  .venv/bin/python bench/live_idle.py [--requests 1000] [--pg postgresql://postgres@127.0.0.1:5432/test_x]
Benchmarks are not tests: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import re
import socket
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.live_app import (  # noqa: E402
    process_cpu_s,
    DEMO_PASSWORD, drop_scratch_database, prepare_database, running, scratch_postgres_url,
)

# What Chrome on an Android phone sends for a same-origin fetch (live.js: no Referer, no cache headers).
PHONE_HEADERS = (
    "User-Agent: Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Mobile Safari/537.36\r\n"
    'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"\r\n'
    "sec-ch-ua-mobile: ?1\r\nsec-ch-ua-platform: \"Android\"\r\n"
    "Accept: */*\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: id-ID,id;q=0.9\r\n"
    "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n"
)


def exchange(port: int, path: str, cookie: str, extra: str = "", method: str = "GET", body: str = "") -> tuple[bytes, int]:
    """One request on its own connection; the raw response and the bytes sent."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n{PHONE_HEADERS}"
            + (f"Cookie: {cookie}\r\n" if cookie else "") + extra)
    if body:
        head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
    raw = (head + "\r\n" + body).encode()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(raw)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks), len(raw)


def header(response: bytes, name: str) -> str | None:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    found = re.search(rf"^{name}: (.*)$", head, re.M | re.I)
    return found.group(1).strip() if found else None


def cookies_of(response: bytes) -> dict[str, str]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return dict(m.split(";", 1)[0].strip().split("=", 1) for m in re.findall(r"^Set-Cookie: (.*)$", head, re.M | re.I))


def log_in(port: int, username: str) -> str:
    page, _ = exchange(port, "/login", "")
    jar = cookies_of(page)
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    body = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": DEMO_PASSWORD})
    answer, _ = exchange(port, "/login", cookie, method="POST", body=body)
    jar.update(cookies_of(answer))
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def worker_cpu(pid: int) -> float:
    return process_cpu_s(pid)


def measure(port: int, pid: int, requests: int, path: str, cookie: str, extra: str, status: bytes) -> dict:
    exchange(port, path, cookie, extra)  # warm
    sent = received = 0
    start_cpu, start = worker_cpu(pid), time.perf_counter()
    for _ in range(requests):
        response, out = exchange(port, path, cookie, extra)
        if not response.startswith(b"HTTP/1.1 " + status):
            raise RuntimeError(f"{path}: {response[:60]!r}")
        sent += out
        received += len(response)
    return {"bytes": (sent + received) / requests, "sent": sent / requests, "received": received / requests,
            "cpu_ms": (worker_cpu(pid) - start_cpu) * 1000 / requests,
            "wall_ms": (time.perf_counter() - start) * 1000 / requests}


def run(database_url: str, requests: int, label: str) -> None:
    demo = prepare_database(database_url)
    with running(demo.database_url, workers=1, env={"FIGURES_SHARE_S": "0"}) as server:
        pid = server.worker_pids()[0]
        cookie = log_in(server.port, "medis")
        station, _ = exchange(server.port, "/lapangan/pos", cookie)
        path = urllib.parse.urlsplit(header(station, "Location")).path
        page, _ = exchange(server.port, path, cookie)
        tag = header(page, "ETag")
        rows = {
            "idle check (304)": measure(server.port, pid, requests, path, cookie, f"If-None-Match: {tag}\r\n", b"304"),
            "floor (404, no view)": measure(server.port, pid, requests, "/api/v1/no-such-endpoint", cookie, "", b"404"),
            "full page (200)": measure(server.port, pid, max(requests // 5, 20), path, cookie, "", b"200"),
        }
    floor = rows["floor (404, no view)"]["cpu_ms"]
    print(f"\n{label}: {path}, {requests} requests each, one gunicorn sync worker, loopback")
    print("| request | bytes on the wire (sent + received) | server CPU ms | vs floor | wall ms |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['bytes']:.0f} ({r['sent']:.0f} + {r['received']:.0f}) | {r['cpu_ms']:.2f} | "
              f"{r['cpu_ms'] / floor:.2f}x | {r['wall_ms']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--pg", help="a PostgreSQL URL; a scratch database <name>_liveidle is made next to it")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/live-idle.db", args.requests, "SQLite")
    if args.pg and args.only != "sqlite":
        url = scratch_postgres_url(args.pg, "liveidle")
        try:
            run(url, args.requests, "PostgreSQL")
        finally:
            drop_scratch_database(url)


if __name__ == "__main__":
    main()
