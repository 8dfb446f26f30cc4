#!/usr/bin/env python3
"""The gates' load on two release binaries, alternately: wrk against the device API and
`/healthz` of the same server, A B A B, with the ratios.

    python3 scripts/gate-load.py --bin-a A --bin-b B [--rounds 2] [--seconds 8]
        [--connections 64] [--threads 2] [--gzip] [--settle S]

Needs `wrk` (Debian: `apt-get install wrk`). Seeds the demo once (`A demo`, stopped as
soon as it answers), then for every round and each binary: a fresh copy of that
database, a new device (`admin create-device`), `serve` on it, wrk with
`--connections` connections posting one scan per request for `--seconds` (each scan a
unique id, the event's tickets in turn: valid, then duplicates), then wrk on
`/healthz` for as long, and the server stopped (SIGTERM). A run fails unless every
acknowledged scan (a 200) is stored: the device's scans in the database are at least
the 200s wrk counted, and at most that plus what was in flight when wrk stopped.
`--gzip` adds `Accept-Encoding: gzip` to the scans, as a phone's HTTP client does.
`--settle S` waits S seconds after the server answers before the load (what it does
once at boot left out).

Prints each run, then per measure the medians of A and B and B/A, and scans against
`/healthz` per binary. Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

LUA = """
local codes = {%(codes)s}
local counter = 0
local thread_no = 0
local threads = {}

function setup(thread)
    thread:set("no", #threads)
    table.insert(threads, thread)
end

function init(args)
    thread_no = no
end

function request()
    counter = counter + 1
    local code = codes[((counter * %(threads)d + thread_no) %% #codes) + 1]
    local body = '{"scans":[{"id":"load-' .. thread_no .. '-' .. counter ..
        '","ticket_code":"' .. code .. '","direction":"in","scanned_at":"%(scanned_at)s"}]}'
    return wrk.format("POST", "/api/v1/scans", headers, body)
end

headers = {}
headers["Authorization"] = "Bearer %(token)s"
headers["Content-Type"] = "application/json"
%(gzip)s
"""


def wait_until_up(port: int, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not come up")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def seed(binary: str, folder: Path, port: int) -> Path:
    database = folder / "seed.sqlite"
    print(f"seeding the demo into {database} …", flush=True)
    demo = subprocess.Popen(
        [binary, "demo", "--addr", f"127.0.0.1:{port}", "--database", str(database),
         "--scans-per-second", "0", "--orders-per-second", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    try:
        wait_until_up(port, timeout=600)
    finally:
        stop(demo)
    return database


def busiest_event(database: Path) -> tuple[int, list[str]]:
    with sqlite3.connect(database) as db:
        event, = db.execute(
            "SELECT event_id FROM tickets WHERE status = 'valid' AND inside_since IS NULL "
            "GROUP BY event_id ORDER BY count(*) DESC LIMIT 1").fetchone()
        codes = [c for (c,) in db.execute(
            "SELECT code FROM tickets WHERE event_id = ? AND status = 'valid' "
            "AND inside_since IS NULL ORDER BY id", (event,))]
    return event, codes


def stored_scans(database: Path, gate: str) -> int:
    with sqlite3.connect(database) as db:
        (n,) = db.execute(
            "SELECT count(*) FROM scans JOIN devices ON devices.id = scans.device_id "
            "JOIN gates ON gates.id = devices.gate_id WHERE gates.name = ?", (gate,)).fetchone()
    return n


def wrk(args: argparse.Namespace, url: str, script: Path | None) -> dict[str, float]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    measures = {"req/s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        measures[f"p{pct} ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    measures["acknowledged"] = requests - (int(failed.group(1)) if failed else 0)
    if errors:
        print(f"    wrk: {errors.group(0)}", flush=True)
    return measures


def one_run(args, binary: str, seed_db: Path, folder: Path, event: int, script_for) -> dict[str, float]:
    database = folder / "run.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(seed_db, database)
    token = subprocess.run(
        [binary, "admin", "create-device", "--database", str(database), "--event", str(event),
         "--gate", "Load gate", "--name", "wrk"],
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    script = script_for(token)
    server = subprocess.Popen(
        [binary, "serve", "--addr", f"127.0.0.1:{args.port}", "--database", str(database)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"},
    )
    try:
        wait_until_up(args.port)
        # Past what a server does once at boot, when asked: the steady state alone.
        time.sleep(args.settle)
        base = f"http://127.0.0.1:{args.port}"
        scans = wrk(args, base, script)
        health = wrk(args, f"{base}/healthz", None)
    finally:
        stop(server)
    stored = stored_scans(database, "Load gate")
    acknowledged = int(scans["acknowledged"])
    if not acknowledged <= stored <= acknowledged + args.connections:
        raise SystemExit(f"{binary}: {acknowledged} scans acknowledged but {stored} stored")
    return {
        "scans req/s": scans["req/s"], "scans p50 ms": scans["p50 ms"], "scans p99 ms": scans["p99 ms"],
        "healthz req/s": health["req/s"], "healthz p99 ms": health["p99 ms"],
        "scans / healthz": scans["req/s"] / health["req/s"], "scans stored": stored,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-a", required=True)
    parser.add_argument("--bin-b", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=18431)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds to wait after the server answers before the load")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="voelgoed-gate-load-"))
    try:
        seed_db = seed(args.bin_a, folder, args.port)
        event, codes = busiest_event(seed_db)
        print(f"event {event}: {len(codes)} tickets to scan", flush=True)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))

        def script_for(token: str) -> Path:
            path = folder / "scans.lua"
            path.write_text(LUA % {
                "codes": ",".join(f'"{c}"' for c in codes), "threads": args.threads,
                "scanned_at": stamp, "token": token,
                "gzip": 'headers["Accept-Encoding"] = "gzip"' if args.gzip else "",
            })
            return path

        runs: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
        for n in range(1, args.rounds + 1):
            for side, binary in (("A", args.bin_a), ("B", args.bin_b)):
                run = one_run(args, binary, seed_db, folder, event, script_for)
                runs[side].append(run)
                shown = "; ".join(f"{k} {v:,.3f}" if v < 100 else f"{k} {v:,.0f}" for k, v in run.items())
                print(f"round {n} {side}: {shown}", flush=True)
        print(f"\n| measure (median of {args.rounds}) | A | B | B/A |\n|---|---|---|---|")
        for measure in runs["A"][0]:
            a = statistics.median(r[measure] for r in runs["A"])
            b = statistics.median(r[measure] for r in runs["B"])
            print(f"| {measure} | {a:,.3f} | {b:,.3f} | {b / a:.2f} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
