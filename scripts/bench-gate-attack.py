#!/usr/bin/env python3
"""Scan latency at the gate while the pages are attacked (BENCHMARKS.md, "Gates under attack").

Starts `voelgoed demo` (simulator off) on a fresh SQLite file with the given binary,
creates a scanning device, then for --seconds posts single scans one after another from
one device and reports their latency: first quietly, then while --stalled downloads of
GET /orders.csv stop reading (tiny receive buffers, never read) and --guessers threads
sign in with a wrong password again and again.

    python3 scripts/bench-gate-attack.py --binary target/release/voelgoed [--runs 3]

Only the Python standard library; the server is a separate process, as in production.
"""

import argparse
import http.client
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign_in(port, email, password):
    """The session's cookies after a sign-in, as one Cookie header ('' if refused)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    page = conn.getresponse()
    body = page.read().decode()
    cookies = [c.split(";")[0] for c in page.headers.get_all("Set-Cookie") or []]
    token = re.search(r'name="csrf_token" value="([^"]+)"', body)
    form = f"email={email}&password={password}&csrf_token={token.group(1) if token else ''}"
    conn.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies)})
    answer = conn.getresponse()
    answer.read()
    conn.close()
    if answer.status != 303:
        return ""
    return "; ".join(c.split(";")[0] for c in answer.headers.get_all("Set-Cookie") or [])


def stalled_download(port, cookies, sockets):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(f"GET /orders.csv HTTP/1.1\r\nHost: x\r\nCookie: {cookies}\r\n\r\n".encode())
    sockets.append(s)  # never read


def guess(port, stop):
    while not stop.is_set():
        try:
            sign_in(port, "owner@demo.test", "wrong-password")
        except OSError:
            time.sleep(0.05)


def scan_for(port, token, seconds):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, errors, statuses = [], 0, {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = json.dumps({"scans": [{"id": str(uuid.uuid4()), "ticket_code": "BENCH-" + uuid.uuid4().hex[:8],
                                      "direction": "in", "scanned_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]})
        started = time.monotonic()
        try:
            conn.request("POST", "/api/v1/scans", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
        except OSError:
            errors += 1
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append((time.monotonic() - started) * 1000)
    return latencies, statuses, errors


def report(name, latencies, statuses, errors):
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] if latencies else float("nan")
    fives = sum(n for s, n in statuses.items() if s >= 500)
    print(f"  {name:8} scans {len(latencies):5}  p50 {p(0.5):7.1f} ms  p99 {p(0.99):7.1f} ms  "
          f"max {latencies[-1] if latencies else float('nan'):7.1f} ms  5xx {fives}  statuses {statuses}  "
          f"connection errors {errors}")
    return p(0.5), p(0.99), fives


def one_run(binary, seconds, stalled, guessers):
    workdir = tempfile.mkdtemp(prefix="voelgoed-attack-")
    database = os.path.join(workdir, "demo.sqlite")
    port = free_port()
    server = subprocess.Popen([binary, "demo", "--addr", f"127.0.0.1:{port}", "--database", database,
                               "--orders-per-second", "0", "--scans-per-second", "0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        event = sqlite3.connect(database).execute(
            "SELECT event_id FROM orders GROUP BY event_id ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
        token = subprocess.check_output([binary, "admin", "create-device", "--database", database,
                                         "--event", str(event), "--gate", "Bench"], text=True).strip()
        quiet = report("quiet", *scan_for(port, token, seconds))
        cookies = sign_in(port, "owner@demo.test", "demo-owner")
        sockets, stop = [], threading.Event()
        for _ in range(stalled):
            stalled_download(port, cookies, sockets)
        threads = [threading.Thread(target=guess, args=(port, stop), daemon=True) for _ in range(guessers)]
        for t in threads:
            t.start()
        time.sleep(1)
        attacked = report("attacked", *scan_for(port, token, seconds))
        stop.set()
        for s in sockets:
            s.close()
        return quiet, attacked
    finally:
        server.terminate()
        server.wait(timeout=15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/voelgoed")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--stalled", type=int, default=16)
    parser.add_argument("--guessers", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}")
        results.append(one_run(args.binary, args.seconds, args.stalled, args.guessers))
    for i, name in enumerate(["quiet", "attacked"]):
        p50s = [r[i][0] for r in results]
        p99s = [r[i][1] for r in results]
        fives = sum(r[i][2] for r in results)
        print(f"{name:8} median of runs: p50 {statistics.median(p50s):.1f} ms, p99 {statistics.median(p99s):.1f} ms, "
              f"5xx in all runs {fives}")


if __name__ == "__main__":
    sys.exit(main())
