#!/usr/bin/env python3
"""A/B benchmark: the same `voelgoed-bench bench-…` command on two builds, run alternately.

    python3 scripts/ab.py [--base REV] [--rounds N] [--keep] BENCH [BENCH ...]

Each BENCH is one quoted subcommand line of the bench binary, for example

    python3 scripts/ab.py --base ed3781b "bench-dashboard --tickets 300000 --seconds 3"
    python3 scripts/ab.py "bench-scans --seconds 5" "bench-dashboard --tickets 100000 --seconds 3"

A is the base commit (default: `git merge-base HEAD main`), built in a git worktree under
target/ab/worktree-<shortsha> with CARGO_TARGET_DIR at this repository's target/, so only
the voelgoed crates themselves are compiled again (and any dependency the base's Cargo.lock
pins at another version). B is the working tree as it is, uncommitted
changes included. Both are release builds of `voelgoed-bench` and the `voelgoed` server
beside it (bench-fanout starts that one); a base from before the benchmarks had a binary
of their own builds `voelgoed`, which ran them then. Each side's binaries are copied to a
folder of its own, target/ab/A-<sha>/ and target/ab/B/, because both builds write
target/release/.

Then, for every round, every BENCH runs on A and then on B, each time as a fresh process
(A B A B …), its output kept in target/ab/logs/<bench>-<A|B>-<round>.log. The numbers each
run prints are read back as measures and summarised per BENCH as a Markdown table
(medians, B/A, every run's value) ready to paste into BENCHMARKS.md; `--markdown FILE`
appends it to FILE as well. The worktree is removed at the end unless --keep.

Other modes: `--skip-build` reuses the binaries already in target/ab; `--bin-a PATH` /
`--bin-b PATH` compare bench binaries built elsewhere (each replaces its side's build):
PATH is what runs the BENCH lines, a `voelgoed-bench` (with its `voelgoed` beside it for
bench-fanout) or a `voelgoed` from before the benchmarks moved out of it;
`--self-test` checks the output parser on lines taken from real runs; `--parse LOG…`
prints the measures it reads from saved output.

Measures, from each line `LABEL: REST` of a run's output (REST is read clause by clause,
clauses separated by "; "):
  - a clause with percentiles yields `LABEL pXX` for every `pXX <number> [unit]` in it
    (and `LABEL max`, `min`, `median`, `mean` the same way), and `LABEL [unit]` for a
    measurement beside them (`11,728 req/s`; counts such as `200 loads` are left out);
  - any other clause yields `LABEL [unit]` for every `<number> <unit>` in it outside
    parentheses (`req/s`, `scan decisions/s`, `ms`, `B`, `tickets`, …); two of one unit
    on one line are told apart by the words around them (`[MB] before`, `[MB] at peak`),
    and a name seen again gets `#2`, `#3`;
  - a line without `: ` counts when it carries percentiles (`/orders  p50 1.2 ms …`: the
    label is what comes before them), and so do the rows of a whitespace table under a
    header such as `case  p50 ms  p95 ms  p99 ms  worst p99` (`ROW p50`, …);
  - headings (lines ending in ':'), progress ("seeding …", "seeded in …") and log
    records are ignored.
Numbers may carry thousands separators ("34,273"; ", " still separates). Each run's wall
time is a measure too. `--parse LOG` shows what is read from a saved output.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import tempfile
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AB_DIR = REPO / "target" / "ab"
LOG_DIR = AB_DIR / "logs"
MIN_ROUNDS = 3
WALL_TIME = "(wall time of the run)"

# ---------------------------------------------------------------------------------------
# Parsing a run's output into measures
# ---------------------------------------------------------------------------------------

# A number: 34,273 / 12.8 / 0.4 / -3; not part of a word, path, address or version.
NUMBER = r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUMBER_RE = re.compile(rf"(?<![\w.:/#-]){NUMBER}(?![\w.]|,\d)")
# What may follow a number as its unit: `%`, a rate glued on (`50.0/s`), or after one
# space a rate (`req/s`, `scan decisions/s`) or a word (`ms`, `B`, `tickets`).
UNIT_RE = re.compile(
    r"(?P<unit>%|/[A-Za-zµ]+(?![\w/])"
    r"| (?:[A-Za-zµ][\w-]* )?[A-Za-zµ][\w-]*/[A-Za-zµ]+(?![\w/])"
    r"| %| [A-Za-zµ][\w-]*)"
)
# A statistic and its number: `p50 0.4`, `p99.9 12`, `max 1,518`, `median 3210`.
STAT_RE = re.compile(
    rf"(?<![\w.-])(?P<stat>p\d+(?:\.\d+)?|median|mean|avg|average|min|max)\s+(?P<num>{NUMBER})(?![\w.]|,\d)"
)
# Words that follow a number without being its unit.
NOT_UNITS = {
    "a", "an", "and", "or", "in", "of", "per", "each", "with", "without", "for", "to", "at",
    "on", "by", "the", "than", "from", "after", "into", "out", "is", "are", "was", "were",
    "max", "min", "mean", "median", "avg", "average", "x", "×",
}
# Units whose direction is known.
LOWER_IS_BETTER = {"ms", "s", "µs", "us", "ns", "B", "KB", "kB", "KiB", "MB", "MiB", "GB", "GiB", "failed"}
# Lines that are progress, not results.
PROGRESS_RE = re.compile(r"^(seeding\b|seeded in\b|waiting\b|starting\b|building\b)|(…|\.\.\.)\s*$", re.I)
# tracing's log records (`2025-01-01T10:00:00.123Z  INFO voelgoed::…: …`) and our log headers.
LOG_RECORD_RE = re.compile(r"^\s*(\d{4}-\d\d-\d\dT\d\d:\d\d|(TRACE|DEBUG|INFO|WARN|ERROR)\s|# ab:)")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A table header: its stat columns, e.g. `p50 ms`, `p99`, `worst p99`, `max`.
HEADER_COLUMN_RE = re.compile(
    r"(?<![\w.-])(?P<name>(?:worst |best )?(?:p\d+(?:\.\d+)?|median|mean|avg|min|max))"
    r"(?: (?P<unit>ms|s|µs|us|ns|B|KB|kB|MB|GB|%))?(?![\w.])"
)


def to_float(text: str) -> float:
    return float(text.replace(",", ""))


def decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


@dataclass
class Measure:
    name: str
    value: float
    unit: str
    text: str  # the number as printed (its decimals are kept when formatting)


def unit_match(text: str, end: int) -> re.Match | None:
    """The unit right after a number ending at `end`, or None when the next word is none."""
    match = UNIT_RE.match(text, end)
    if not match:
        return None
    unit = match.group("unit").strip()
    if unit.lower() in NOT_UNITS or re.fullmatch(r"p\d+(\.\d+)?", unit):
        return None
    return match


def unit_after(text: str, end: int) -> str:
    match = unit_match(text, end)
    return match.group("unit").strip() if match else ""


def unit_and_end(text: str, end: int) -> tuple[str, int]:
    """The unit after a number and where it ends; a count's noun may take a second word
    (`16525 ticket rows,`), a measurement unit (`56 MB before`) never does."""
    match = unit_match(text, end)
    if not match:
        return "", end
    unit, after = match.group("unit").strip(), match.end()
    if unit in LOWER_IS_BETTER or "/" in unit or unit == "%":
        return unit, after
    second = re.match(r" ([A-Za-z][\w-]*)(?=\s*(?:[,;:)]|$))", text[after:])
    if second and second.group(1).lower() not in NOT_UNITS:
        return f"{unit} {second.group(1)}", after + second.end()
    return unit, after


# Words that name the unit of the unitless statistics after them (`bytes each p50 692`).
UNIT_WORDS = {"bytes": "B"}


def without_parentheses(text: str) -> str:
    """`29208 B (page 1234 B, …)` → `29208 B `; an unclosed `(` hides the rest."""
    out, depth = [], 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(char)
    return "".join(out)


def clean_label(label: str) -> str:
    label = re.sub(r"\s+", " ", label).strip()
    label = re.sub(r"^[-*•]\s+", "", label)
    return label.rstrip(" ,;:=-")


def words(text: str, last: bool) -> str:
    """Up to three words of `text` (its last ones when `last`), for telling measures apart."""
    found = re.findall(r"[^\s,;:=]+", text)
    return " ".join(found[-3:] if last else found[:3])


def clause_measures(label: str, clause: str) -> list[tuple[Measure, str]]:
    """The measures of one clause, each with the words around it (to tell apart two
    measures of one unit on one line)."""
    clause = without_parentheses(clause)
    found = []
    stats = list(STAT_RE.finditer(clause))
    if stats:
        before = clause[: stats[0].start()].lower().split()
        implied = next((UNIT_WORDS[w] for w in before if w in UNIT_WORDS), "")
        for match in stats:
            unit = unit_after(clause, match.end()) or implied
            name = f"{label} {match.group('stat')}".strip()
            found.append((Measure(name, to_float(match.group("num")), unit, match.group("num")), ""))
        # Beside them, only measurements proper (`11,728 req/s, p99 9.3 ms`), not counts
        # (`200 loads, p50 …`).
        taken = [m.span("num") for m in stats]
        for match in NUMBER_RE.finditer(clause):
            unit = unit_after(clause, match.end())
            if match.span() not in taken and is_measurement(unit):
                found.append((unit_measure(label, match, unit), ""))
        return found
    for match in NUMBER_RE.finditer(clause):
        unit, end = unit_and_end(clause, match.end())
        if unit:
            after = re.split(r"[,;:(]| = ", clause[end:], maxsplit=1)[0]
            before = re.split(r"[,;:)]| = ", clause[: match.start()])[-1]
            context = words(after, last=False) or words(before, last=True)
            found.append((unit_measure(label, match, unit), context))
    return found


def unit_measure(label: str, number: re.Match, unit: str) -> Measure:
    return Measure(f"{label} [{unit}]".strip(), to_float(number.group()), unit, number.group())


def is_measurement(unit: str) -> bool:
    return unit in LOWER_IS_BETTER or unit.endswith("/s") or unit == "%"


def known_unit_number(text: str) -> re.Match | None:
    """The first `<number> <unit>` in `text` whose unit is a measurement unit (ms, MB, …)."""
    for match in NUMBER_RE.finditer(text):
        if is_measurement(unit_after(text, match.end())):
            return match
    return None


def line_measures(line: str) -> list[Measure]:
    """Measures of one output line (not a table row)."""
    if line.endswith(":"):
        return []  # a heading (`- text: full name:`, `whole GET requests …, 100 each:`)
    if ": " in line:
        label, rest = line.split(": ", 1)
        # `resident (VmRSS)  120 MB before, 300 MB at peak: growth 180 MB`: the label
        # holds measurements itself, so it ends where they start.
        inside = known_unit_number(label)
        if inside:
            label, rest = line[: inside.start()], line[inside.start() :]
    else:
        # `  /orders?q=Jan  p50 1.23 ms  p95 …`: the label is what precedes the stats.
        start = STAT_RE.search(line)
        if not start or not STAT_RE.search(without_parentheses(line)):
            return []
        label, rest = line[: start.start()], line[start.start() :]
    label = clean_label(label)
    found = []
    for clause in rest.split(";"):
        found.extend(clause_measures(label, clause))
    # Two measures of one unit on one line: named by the words around each
    # (`[MB] before`, `[MB] at peak`, `[MB] growth`) when those tell them apart.
    names = [m.name for m, _ in found]
    for measure, context in found:
        if names.count(measure.name) > 1 and context:
            twins = [c for m, c in found if m.name == measure.name]
            if twins.count(context) == 1:
                measure.name = f"{measure.name} {context}"
    return [m for m, _ in found]


@dataclass
class Table:
    columns: list[tuple[str, str]]  # (column name, unit)


def table_header(line: str) -> Table | None:
    """A header such as `case  p50 ms  p95 ms  p99 ms  worst p99` (no numbers of its own)."""
    if ": " in line:
        return None
    line = without_parentheses(line)
    columns = list(HEADER_COLUMN_RE.finditer(line))
    if len(columns) < 2:
        return None
    rest = HEADER_COLUMN_RE.sub("", line)
    if re.search(r"\d", rest):
        return None
    result, last_unit = [], ""
    for column in columns:
        unit = column.group("unit") or last_unit
        last_unit = unit
        result.append((column.group("name"), unit))
    return Table(result)


def table_row(table: Table, line: str) -> list[Measure] | None:
    """`text: full name          1.23     4.56     7.89      10.11` under the header."""
    tokens = line.split()
    count = len(table.columns)
    if len(tokens) <= count:
        return None
    values = tokens[-count:]
    if not all(re.fullmatch(NUMBER, v) for v in values):
        return None
    name = clean_label(" ".join(tokens[:-count]))
    if not name or re.fullmatch(NUMBER, tokens[-count - 1]):
        return None
    return [
        Measure(f"{name} {column}", to_float(v), unit, v)
        for (column, unit), v in zip(table.columns, values)
    ]


def parse_output(text: str) -> list[Measure]:
    """Every measure in a run's output, in order; repeated names get `#2`, `#3`, …"""
    measures: list[Measure] = []
    table: Table | None = None
    for raw in text.splitlines():
        line = ANSI_RE.sub("", raw).rstrip()
        if not line.strip():
            table = None
            continue
        if LOG_RECORD_RE.match(line) or PROGRESS_RE.search(line.strip()):
            continue
        if table is not None:
            row = table_row(table, line)
            if row is not None:
                measures.extend(row)
                continue
        header = table_header(line)
        if header is not None:
            table = header
            continue
        measures.extend(line_measures(line))
    seen: dict[str, int] = {}
    for measure in measures:
        seen[measure.name] = seen.get(measure.name, 0) + 1
        if seen[measure.name] > 1:
            measure.name = f"{measure.name} #{seen[measure.name]}"
    return measures


# ---------------------------------------------------------------------------------------
# Git, builds and runs
# ---------------------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"ab: {message}", file=sys.stderr, flush=True)


def git(*args: str, cwd: Path = REPO, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"ab: git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def commit_line(sha: str) -> str:
    line = git("log", "-1", "--format=%h %s", sha)
    return line if len(line) <= 80 else line[:79] + "…"


@dataclass
class Side:
    name: str  # "A" or "B"
    binary: Path | None = None
    description: str = ""
    build_seconds: float | None = None


# The bench binary, and the server binary, whose name it had before the benchmarks moved
# out of it (then one binary did both).
BENCH_BINARY = "voelgoed-bench"
SERVER_BINARY = "voelgoed"


def has_bench_crate(tree: Path) -> bool:
    """Whether the source tree builds the benchmarks as a binary of their own."""
    return (tree / "crates" / "bench" / "Cargo.toml").is_file()


def built_binaries(tree: Path) -> list[str]:
    """What a side's build makes: the bench binary and the server, or the one binary."""
    return [BENCH_BINARY, SERVER_BINARY] if has_bench_crate(tree) else [SERVER_BINARY]


def bench_binary(folder: Path) -> Path:
    """The binary that runs the BENCH lines among a side's copied binaries."""
    bench = folder / BENCH_BINARY
    return bench if bench.is_file() else folder / SERVER_BINARY


def cargo_build(cwd: Path) -> float:
    env = dict(os.environ, CARGO_TARGET_DIR=str(REPO / "target"))
    command = ["cargo", "build", "--release"]
    if has_bench_crate(cwd):
        command += ["-p", BENCH_BINARY, "--bin", BENCH_BINARY, "-p", SERVER_BINARY, "--bin", SERVER_BINARY]
    else:
        command += ["--bin", SERVER_BINARY]
    say(f"building in {cwd}: {shlex.join(command)} (CARGO_TARGET_DIR={env['CARGO_TARGET_DIR']})")
    # Both sides' builds put their binaries in target/release/, and cargo does not put
    # one back for a side whose crate is already built: without this, B could run A's
    # binary. With them gone, cargo links this side's binaries again.
    for name in (BENCH_BINARY, SERVER_BINARY):
        (REPO / "target" / "release" / name).unlink(missing_ok=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"ab: the build in {cwd} failed (exit {result.returncode}) after {seconds:.0f} s")
    say(f"built in {seconds:.0f} s")
    return seconds


def copy_binaries(tree: Path, to: Path) -> Path:
    """Copies the side's binaries into the folder `to` (emptied first); the bench binary."""
    shutil.rmtree(to, ignore_errors=True)
    to.mkdir(parents=True)
    for name in built_binaries(tree):
        shutil.copy2(REPO / "target" / "release" / name, to / name)
    return bench_binary(to)


def worktree_path(sha: str) -> Path:
    return AB_DIR / f"worktree-{git('rev-parse', '--short', sha)}"


def add_worktree(sha: str) -> Path:
    path = worktree_path(sha)
    if (path / ".git").exists() and git("rev-parse", "HEAD", cwd=path, check=False) == sha:
        say(f"reusing the worktree {path.relative_to(REPO)}")
        return path
    if path.exists():
        git("worktree", "remove", "--force", str(path), check=False)
        if path.exists():
            raise SystemExit(f"ab: {path} exists but is not a worktree of {sha}: remove it first")
    git("worktree", "prune")
    AB_DIR.mkdir(parents=True, exist_ok=True)
    git("worktree", "add", "--detach", str(path), sha)
    say(f"worktree {path.relative_to(REPO)} at {commit_line(sha)}")
    return path


def remove_worktree(sha: str) -> None:
    path = worktree_path(sha)
    if path.exists():
        git("worktree", "remove", "--force", str(path), check=False)
        say(f"removed the worktree {path.relative_to(REPO)}")


def working_tree_description() -> str:
    head = git("rev-parse", "HEAD")
    changed = [l for l in git("status", "--porcelain", "--untracked-files=no").splitlines() if l]
    untracked = [l for l in git("status", "--porcelain").splitlines() if l.startswith("??")]
    text = f"working tree at {head} ({commit_line(head)})"
    if changed or untracked:
        text += f" with uncommitted changes ({len(changed)} tracked files changed, {len(untracked)} untracked)"
    else:
        text += ", no uncommitted changes"
    return text


def binary_description(path: Path) -> str:
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"binary {path} (built {stamp})"


@dataclass
class Run:
    bench: str
    side: str
    round: int
    log: Path
    exit_code: int | None = None
    seconds: float = 0.0
    measures: list[Measure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def bench_keys(benches: list[str]) -> list[str]:
    """File-name keys: the subcommand (`bench-scans`), numbered when one repeats."""
    names = [shlex.split(b)[0] if shlex.split(b) else "bench" for b in benches]
    keys = []
    for i, name in enumerate(names):
        safe = re.sub(r"[^\w.-]", "_", name)
        keys.append(f"{safe}-{names[:i].count(name) + 1}" if names.count(name) > 1 else safe)
    return keys


def run_once(binary: Path, bench: str, run: Run, timeout: float | None, keep_tmp: bool) -> None:
    command = [str(binary), *shlex.split(bench)]
    tmp = AB_DIR / "tmp" / run.log.stem
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # The benches put their databases under the temporary folder; each run gets its own.
    env = dict(os.environ, TMPDIR=str(tmp))
    started = time.monotonic()
    with open(run.log, "w") as log:
        log.write(f"# ab: {shlex.join(command)}\n# ab: started {utc_now()}\n")
        log.flush()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            run.exit_code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the run's own process group
            process.wait()
            run.exit_code = -1
            log.write(f"\n# ab: killed after the {timeout:.0f} s timeout\n")
        except KeyboardInterrupt:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            run.exit_code = -2
            log.write("\n# ab: interrupted\n")
            raise
        finally:
            run.seconds = time.monotonic() - started
            log.write(f"# ab: exit {run.exit_code} after {run.seconds:.1f} s\n")
            if run.ok or not keep_tmp:
                shutil.rmtree(tmp, ignore_errors=True)
    if run.ok:
        run.measures = parse_output(run.log.read_text(errors="replace"))
        run.measures.append(Measure(WALL_TIME + " [s]", round(run.seconds, 1), "s", f"{run.seconds:.1f}"))


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------


def direction(unit: str) -> str:
    if unit.endswith("/s"):
        return "higher"
    if unit in LOWER_IS_BETTER:
        return "lower"
    return ""


def fmt(value: float, places: int) -> str:
    text = f"{value:,.{places}f}"
    return text


def fmt_median(values: list[float], texts: list[str]) -> str:
    places = max(decimals(t) for t in texts)
    median = statistics.median(values)
    if round(median, places) != round(median, places + 3):
        places += 1
    return fmt(median, places)


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def bench_table(runs: list[Run], rounds: int, flag: float) -> list[str]:
    order: list[str] = []
    units: dict[str, str] = {}
    values: dict[tuple[str, str], dict[int, Measure]] = {}
    for run in runs:
        previous = None
        for measure in run.measures:
            if measure.name not in units:
                # A measure only one side prints goes after its neighbour in that run.
                at = order.index(previous) + 1 if previous is not None else len(order)
                if measure.name.startswith(WALL_TIME):
                    at = len(order)
                order.insert(at, measure.name)
                units[measure.name] = measure.unit
            previous = measure.name
            values.setdefault((measure.name, run.side), {})[run.round] = measure
    wall = [n for n in order if n.startswith(WALL_TIME)]
    order = [n for n in order if not n.startswith(WALL_TIME)] + wall
    status = {(run.side, run.round): run for run in runs}
    lines = [
        "| measure | A median | B median | B/A | A runs | B runs | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in order:
        unit = units[name]
        # The unit follows the medians unless the name shows it already (`… [req/s]`).
        if not unit or name.endswith(f"[{unit}]") or f"[{unit}] " in name:
            suffix = ""
        else:
            suffix = f" {unit}" if not unit.startswith("/") and unit != "%" else unit
        medians, listed = {}, {}
        for side in "AB":
            got = values.get((name, side), {})
            texts = []
            for r in range(1, rounds + 1):
                run = status.get((side, r))
                if run is None:
                    texts.append("–")
                elif not run.ok:
                    texts.append("failed")
                elif r in got:
                    places = decimals(got[r].text)
                    texts.append(fmt(got[r].value, places))
                else:
                    texts.append("–")
            listed[side] = " / ".join(texts)
            if got:
                nums = [m.value for m in got.values()]
                medians[side] = (statistics.median(nums), fmt_median(nums, [m.text for m in got.values()]) + suffix)
        a, b = medians.get("A"), medians.get("B")
        ratio, note = "—", []
        better = direction(unit)
        if better:
            note.append(f"{better} is better")
        if a and b:
            ratio, flag_note = compare(a[0], b[0], better, name, values, flag)
            note += flag_note
        lines.append(
            f"| {cell(name)} | {a[1] if a else '—'} | {b[1] if b else '—'} | {ratio} "
            f"| {listed['A']} | {listed['B']} | {'; '.join(note)} |"
        )
    return lines


def compare(a: float, b: float, better: str, name: str, values: dict, flag: float) -> tuple[str, list[str]]:
    """B/A as printed, and the note on it: flagged when worse than `flag` in the bad direction."""
    if a == 0:
        if b == 0:
            return "1.00", []
        worse = {"lower": True, "higher": False}.get(better)
        return "—", [] if worse is None else ["**B worse (A is 0)**" if worse else "B better (A is 0)"]
    r = b / a
    if not better:
        return f"{r:.2f}", []
    if r == 0:
        return "0.00", ["B better (B is 0)" if better == "lower" else "**B worse (B is 0)**"]
    worse = r if better == "lower" else 1 / r
    # A gap of one printed step (0.4 → 0.5 ms) is the print's resolution, not a finding.
    texts = [m.text for side in "AB" for m in values.get((name, side), {}).values()]
    step = 10.0 ** -min(decimals(t) for t in texts)
    coarse = abs(b - a) <= step * 1.0001
    if worse > flag and coarse:
        return f"{r:.2f}", [f"B worse ×{worse:.2f}, but by one printed step ({step:g})"]
    if worse > flag:
        return f"{r:.2f}", [f"**B worse ×{worse:.2f}**"]
    if worse < 1 / flag and not coarse:
        return f"{r:.2f}", [f"B better ×{1 / worse:.2f}"]
    return f"{r:.2f}", []


def report(args, sides: dict[str, Side], benches: list[str], keys: list[str], runs: list[Run],
           started: str, load_before: str, interrupted: bool) -> str:
    command = "python3 " + shlex.join(sys.argv)
    lines = [
        f"### A/B: {', '.join(f'`{b}`' for b in benches)}",
        "",
        f"- command: `{command}`",
        f"- date: {started} (finished {utc_now()})",
        f"- nproc: {nproc()}; load average at the start {load_before}, at the end {load_average()}",
        f"- A: {sides['A'].description}",
        f"- B: {sides['B'].description}",
        f"- {args.rounds} rounds, each running every bench on A then on B, each run a fresh process; "
        f"medians over the runs that succeeded; logs in target/ab/logs/",
    ]
    if interrupted:
        lines.append("- **interrupted**: the table holds the runs finished before the interruption")
    for bench, key in zip(benches, keys):
        bench_runs = [r for r in runs if r.bench == key]
        failed = [f"{r.side}{r.round} (exit {r.exit_code})" for r in bench_runs if not r.ok]
        lines += ["", f"**`{BENCH_BINARY} {bench}`**" + (f": failed runs {', '.join(failed)}" if failed else ""), ""]
        if any(r.measures for r in bench_runs):
            lines += bench_table(bench_runs, args.rounds, args.flag)
        else:
            lines.append("No measures: " + ("every run failed." if bench_runs else "no run finished."))
    flagged = "**B worse" in "\n".join(lines)
    lines += [
        "",
        f"B/A is B's median over A's. Flagged: a measure with a known better direction "
        f"(ms, s, B: lower; …/s: higher) that is more than ×{args.flag:g} worse in B, unless "
        f"the medians differ by only one step of the printed resolution."
        + ("" if flagged else " None flagged."),
    ]
    return "\n".join(lines) + "\n"


def nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(len(os.sched_getaffinity(0)))


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------
# Self-test: lines copied from real runs' logs
# ---------------------------------------------------------------------------------------

# Lines copied from real runs' logs: (line, {measure: (value, unit)}).
ESC = "\x1b"
SELF_TEST_CASES: list[tuple[str, dict[str, tuple[float, str]]]] = [
    # bench-dashboard --tickets 300000 --seconds 3, at ed3781b and on the working tree
    ("seeding an event with 300000 sold tickets …", {}),
    (f"{ESC}[2m2026-12-06T16:28:41.364344Z{ESC}[0m {ESC}[32m INFO{ESC}[0m {ESC}[2mvoelgoed::db{ESC}[0m{ESC}[2m:"
     f"{ESC}[0m applied migration {ESC}[3mmigration{ESC}[0m{ESC}[2m={ESC}[0m20261125000001", {}),
    ("seeded in 8.1 s", {}),
    ("very first load after start-up: 71.2 ms", {"very first load after start-up [ms]": (71.2, "ms")}),
    (
        "first load, metrics cached (warm): 200 loads, p50 0.4 ms, p95 0.4 ms, p99 0.5 ms",
        {"first load, metrics cached (warm) p50": (0.4, "ms"), "first load, metrics cached (warm) p95": (0.4, "ms"),
         "first load, metrics cached (warm) p99": (0.5, "ms")},
    ),
    (
        "first load, metrics recomputed (cold): 20 loads, p50 53.9 ms, p95 64.3 ms, p99 77.2 ms",
        {"first load, metrics recomputed (cold) p50": (53.9, "ms"),
         "first load, metrics recomputed (cold) p95": (64.3, "ms"),
         "first load, metrics recomputed (cold) p99": (77.2, "ms")},
    ),
    (
        "first visit, compressed: 31188 B (page 3376 B, /assets/icon.svg?v=6aa2b970fdc4 184 B, "
        "/assets/app.css?v=6aa2b970fdc4 3550 B, /assets/htmx.min.js?v=6aa2b970fdc4 21974 B, "
        "/assets/sse.min.js?v=6aa2b970fdc4 1206 B, /assets/app.js?v=6aa2b970fdc4 898 B)",
        {"first visit, compressed [B]": (31188, "B")},
    ),
    (
        "live: sold 1499 tickets and admitted 1550 people in 3 s; metrics computed 12 times",
        {"live [tickets]": (1499, "tickets"), "live [people]": (1550, "people"), "live [s]": (3, "s"),
         "live [times]": (12, "times")},
    ),
    (
        "sold: 376 changes; shown after p50 155 ms, p99 297 ms, max 311 ms; never shown 0",
        {"sold [changes]": (376, "changes"), "sold p50": (155, "ms"), "sold p99": (297, "ms"),
         "sold max": (311, "ms")},
    ),
    (
        "pushed updates: 70 messages (14.0/s), bytes each p50 690 max 1506",
        {"pushed updates p50": (690, "B"), "pushed updates max": (1506, "B")},
    ),
    # bench-scans --seconds 5 (the instance line is the working tree's; ed3781b printed
    # `server on http://127.0.0.1:37497; 2 cores` and no CPU line)
    ("seeding 200000 tickets and 150 devices …", {}),
    ("1 instance(s) on http://127.0.0.1:45567; 2 cores; metrics On", {}),
    ("server on http://127.0.0.1:37497; 2 cores", {}),
    (
        "single-scan requests: 22141 requests in 5.0 s = 4410 req/s, 4410 scan decisions/s; "
        "latency p50 13.3 ms, p99 32.9 ms; 0 failed (1 scans per request)",
        {"single-scan requests [requests]": (22141, "requests"), "single-scan requests [s]": (5.0, "s"),
         "single-scan requests [req/s]": (4410, "req/s"),
         "single-scan requests [scan decisions/s]": (4410, "scan decisions/s"),
         "single-scan requests p50": (13.3, "ms"), "single-scan requests p99": (32.9, "ms"),
         "single-scan requests [failed]": (0, "failed")},
    ),
    (
        "single-scan CPU: 216 µs per request (server and load generator, 4.79 s in all)",
        {"single-scan CPU [µs]": (216, "µs")},
    ),
    (
        "batches of 500 (reconnect wave): 600 requests in 11.0 s = 54 req/s, 27198 scan decisions/s; "
        "latency p50 2608.0 ms, p99 3282.4 ms; 0 failed (500 scans per request)",
        {"batches of 500 (reconnect wave) [requests]": (600, "requests"),
         "batches of 500 (reconnect wave) [s]": (11.0, "s"),
         "batches of 500 (reconnect wave) [req/s]": (54, "req/s"),
         "batches of 500 (reconnect wave) [scan decisions/s]": (27198, "scan decisions/s"),
         "batches of 500 (reconnect wave) p50": (2608.0, "ms"), "batches of 500 (reconnect wave) p99": (3282.4, "ms"),
         "batches of 500 (reconnect wave) [failed]": (0, "failed")},
    ),
    ("acknowledged scans: 322141; scans in the database: 322141", {}),
    ("OK: every acknowledged scan is in the database, and nothing else", {}),
    # bench-orders --runs 1 --iterations 20 on a 30,000-order seed, at ed3781b
    (
        "largest organisation: 1 with 6668 orders (owner owner@seed-1.test); 2 cores",
        {"largest organisation [orders]": (6668, "orders"), "largest organisation [cores]": (2, "cores")},
    ),
    ("- text: name prefix + status + event + 30 days:", {}),
    ("    SEARCH orders USING INDEX orders_org_created (organization_id=? AND created_at>? AND created_at<?)", {}),
    ("whole GET requests (render included), 100 each:", {}),
    (
        "  /orders?status=refunded&event=1          p50 1.02 ms  p95 3.23 ms  p99 4.47 ms",
        {"/orders?status=refunded&event=1 p50": (1.02, "ms"), "/orders?status=refunded&event=1 p95": (3.23, "ms"),
         "/orders?status=refunded&event=1 p99": (4.47, "ms")},
    ),
    (
        "CSV export of the organisation: 16525 ticket rows, 2.5 MB in 0.0 s",
        {"CSV export of the organisation [ticket rows]": (16525, "ticket rows"),
         "CSV export of the organisation [MB]": (2.5, "MB"), "CSV export of the organisation [s]": (0.0, "s")},
    ),
    (
        "  resident (VmRSS)                           56 MB before,     56 MB at peak: growth 0 MB",
        {"resident (VmRSS) [MB] before": (56, "MB"), "resident (VmRSS) [MB] at peak": (56, "MB"),
         "resident (VmRSS) [MB] growth": (0, "MB")},
    ),
    # From the sources, not yet seen in a log here: bench-bulk's lines, thousands separators.
    ("  run 1: 3.21 s (3115 resends/s)", {"run 1 [s]": (3.21, "s")}),
    (
        "job of 10000 resends, created to finished: median 3210 ms, p99 3300 ms",
        {"job of 10000 resends, created to finished median": (3210, "ms"),
         "job of 10000 resends, created to finished p99": (3300, "ms")},
    ),
    ("single: 11,728 req/s, p99 9.3 ms", {"single [req/s]": (11728, "req/s"), "single p99": (9.3, "ms")}),
    ("batches: 34,273 decisions/s", {"batches [decisions/s]": (34273, "decisions/s")}),
]

# bench-orders' table (ed3781b, the same run), up to the next heading.
SELF_TEST_TABLE = """
first page (50 rows with event names and ticket counts), query layer; 1 runs × 20:
case                                             p50 ms   p95 ms   p99 ms  worst p99
no filter                                          0.16     0.28     0.41       0.41
status (any of 5)                                  0.17     0.23     0.32       0.32
text: name prefix + status + event + 30 days       0.23     0.32     0.33       0.33

EXPLAIN QUERY PLAN of each case's page query:
- no filter:
    SEARCH orders USING INDEX orders_org_created (organization_id=?)
"""
SELF_TEST_TABLE_WANT = {
    f"{case} {column}": (value, "ms")
    for case, values in [("no filter", (0.16, 0.28, 0.41, 0.41)), ("status (any of 5)", (0.17, 0.23, 0.32, 0.32)),
                         ("text: name prefix + status + event + 30 days", (0.23, 0.32, 0.33, 0.33))]
    for column, value in zip(["p50", "p95", "p99", "worst p99"], values)
}


def self_test() -> int:
    failures = 0

    def check(what: str, got: dict, want: dict) -> None:
        nonlocal failures
        if got != want:
            failures += 1
            print(f"FAIL {what!r}\n  got  {got}\n  want {want}")

    for line, want in SELF_TEST_CASES:
        got = {m.name: (m.value, m.unit) for m in parse_output(line)}
        check(line, got, want)
    table = {m.name: (m.value, m.unit) for m in parse_output(SELF_TEST_TABLE)}
    check("orders table", table, SELF_TEST_TABLE_WANT)
    # Numbers: thousands separators are one number; ", " separates.
    check("numbers", [m.group() for m in NUMBER_RE.finditer("1,234 and 0.4, 5 and 12,345,678.5 v1.2 127.0.0.1:80")],
          ["1,234", "0.4", "5", "12,345,678.5"])
    # Repeated names are numbered in order.
    check("repeats", [m.name for m in parse_output("a: 1 ms\na: 2 ms")], ["a [ms]", "a [ms] #2"])
    # The report's flags.
    runs = [Run("x", side, r, Path("/dev/null"), 0, 1.0, [Measure("t [ms]", v, "ms", str(v)),
                                                          Measure("r [req/s]", q, "req/s", str(q))])
            for side, r, v, q in [("A", 1, 10, 100), ("B", 1, 13, 70), ("A", 2, 10, 100), ("B", 2, 12, 80),
                                  ("A", 3, 10, 100), ("B", 3, 12, 90)]]
    table_text = "\n".join(bench_table(runs, 3, 1.2))
    check("zeros", [compare(0, 3, "lower", "f", {}, 1.2)[1], compare(3, 0, "lower", "f", {}, 1.2)[1],
                    compare(9, 0, "higher", "r", {}, 1.2)[1]],
          [["**B worse (A is 0)**"], ["B better (B is 0)"], ["**B worse (B is 0)**"]])
    check("flags", ("| t [ms] | 10 | 12 | 1.20 |" in table_text, "**B worse ×1.25**" in table_text),
          (True, True))
    # Which binary runs the benches: voelgoed-bench where it was built, else the old voelgoed.
    with tempfile.TemporaryDirectory() as folder:
        side = Path(folder)
        (side / SERVER_BINARY).touch()
        before = bench_binary(side).name
        (side / BENCH_BINARY).touch()
        check("bench binary", (before, bench_binary(side).name), (SERVER_BINARY, BENCH_BINARY))
    if failures:
        print(f"self-test: {failures} failure(s)")
        return 1
    print(f"self-test: OK ({len(SELF_TEST_CASES) + 7} checks)")
    return 0


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Build the base commit (A) and the working tree (B) in release and run the same "
        "voelgoed-bench benches on both alternately; print a Markdown table of the medians.",
        epilog='example: python3 scripts/ab.py --base ed3781b "bench-dashboard --tickets 300000 --seconds 3"',
    )
    parser.add_argument("benches", nargs="*", metavar="BENCH",
                        help='a voelgoed-bench subcommand line, quoted: "bench-scans --seconds 5"')
    parser.add_argument("--base", help="A's commit (default: git merge-base HEAD main)")
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS,
                        help=f"rounds of A B runs (default and minimum {MIN_ROUNDS})")
    parser.add_argument("--keep", action="store_true", help="keep A's worktree (and failed runs' temporary folders)")
    parser.add_argument("--skip-build", action="store_true",
                        help="use the binaries already in target/ab (A-<sha>/, B/)")
    parser.add_argument("--bin-a", type=Path, help="A's bench binary (voelgoed-bench, or a voelgoed from before "
                        "the benchmarks moved out), instead of building the base commit")
    parser.add_argument("--bin-b", type=Path, help="B's bench binary, instead of building the working tree")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="append the Markdown report to FILE")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a run is killed (default 3600)")
    parser.add_argument("--flag", type=float, default=1.2, help="flag ratios worse than this (default 1.2)")
    parser.add_argument("--self-test", action="store_true", help="check the output parser and exit")
    parser.add_argument("--parse", nargs="+", type=Path, metavar="LOG",
                        help="print the measures read from these logs (a bench's saved output) and exit")
    args = parser.parse_args()

    if args.self_test:
        return self_test()
    if args.parse:
        for log in args.parse:
            print(f"{log}:")
            for m in parse_output(log.read_text(errors="replace")):
                print(f"  {m.name} = {m.text}" + (f" {m.unit}" if m.unit else ""))
        return 0
    if not args.benches:
        parser.error("name at least one BENCH")
    if args.rounds < MIN_ROUNDS:
        parser.error(f"--rounds must be at least {MIN_ROUNDS}")
    for bench in args.benches:
        if not shlex.split(bench):
            parser.error("an empty BENCH")
    started, load_before = utc_now(), load_average()

    sides = {"A": Side("A"), "B": Side("B")}
    base_sha = None
    if args.bin_a is None:
        if args.base:
            base_sha = git("rev-parse", "--verify", f"{args.base}^{{commit}}")
        else:
            merge_base = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=REPO,
                                        capture_output=True, text=True)
            if merge_base.returncode != 0:
                raise SystemExit("ab: no merge base of HEAD and main: name A with --base REV")
            base_sha = merge_base.stdout.strip()
        if base_sha == git("rev-parse", "HEAD"):
            say(f"the base {base_sha[:10]} is HEAD itself: A and B differ only by uncommitted changes "
                "(name another commit with --base)")
    made_worktree = False
    try:
        # A
        if args.bin_a is not None:
            sides["A"].binary = args.bin_a.resolve()
            sides["A"].description = binary_description(sides["A"].binary)
        else:
            folder = AB_DIR / f"A-{base_sha}"
            if not args.skip_build:
                path = add_worktree(base_sha)
                made_worktree = True
                sides["A"].build_seconds = cargo_build(path)
                copy_binaries(path, folder)
            elif not folder.exists():
                raise SystemExit(f"ab: --skip-build but {folder.relative_to(REPO)} does not exist")
            sides["A"].binary = bench_binary(folder)
            sides["A"].description = f"{base_sha} ({commit_line(base_sha)})"
            if base_sha == git("rev-parse", "HEAD"):
                sides["A"].description += ", which is HEAD itself: A and B differ only by uncommitted changes"
        # B
        if args.bin_b is not None:
            sides["B"].binary = args.bin_b.resolve()
            sides["B"].description = binary_description(sides["B"].binary)
        else:
            folder = AB_DIR / "B"
            if not args.skip_build:
                sides["B"].build_seconds = cargo_build(REPO)
                copy_binaries(REPO, folder)
                sides["B"].description = working_tree_description()
            elif not folder.exists():
                raise SystemExit(f"ab: --skip-build but {folder.relative_to(REPO)} does not exist")
            else:
                description = binary_description(bench_binary(folder))
                sides["B"].description = f"{description}; HEAD is now {commit_line('HEAD')}"
            sides["B"].binary = bench_binary(folder)
        for side in sides.values():
            if not side.binary or not side.binary.is_file():
                raise SystemExit(f"ab: {side.name}'s binary {side.binary} does not exist")
            timing = f" (built in {side.build_seconds:.0f} s)" if side.build_seconds else ""
            say(f"{side.name} = {side.binary}{timing}: {side.description}")

        LOG_DIR.mkdir(parents=True, exist_ok=True)
        keys = bench_keys(args.benches)
        runs: list[Run] = []
        interrupted = False
        try:
            for round_ in range(1, args.rounds + 1):
                for bench, key in zip(args.benches, keys):
                    for side in "AB":
                        run = Run(key, side, round_, LOG_DIR / f"{key}-{side}-{round_}.log")
                        say(f"round {round_}/{args.rounds} {side}: {bench}")
                        run_once(sides[side].binary, bench, run, args.timeout, args.keep)
                        runs.append(run)
                        if run.ok:
                            count = len(run.measures) - 1  # without the wall time
                            say(f"  {run.seconds:.1f} s, {count} measures ({run.log.relative_to(REPO)})")
                        else:
                            say(f"  FAILED: exit {run.exit_code} after {run.seconds:.1f} s; its measures are "
                                f"skipped; see {run.log.relative_to(REPO)}")
                        if run.ok and len(run.measures) == 1:
                            say("  no measures found in its output")
        except KeyboardInterrupt:
            interrupted = True
            say("interrupted: reporting the runs so far")
        try:
            (AB_DIR / "tmp").rmdir()  # gone when empty (failed runs' folders stay with --keep)
        except OSError:
            pass
        text = report(args, sides, args.benches, keys, runs, started, load_before, interrupted)
        print(text)
        (AB_DIR / "last-report.md").write_text(text)
        if args.markdown:
            with open(args.markdown, "a") as out:
                out.write("\n" + text)
            say(f"appended the report to {args.markdown}")
        if interrupted:
            return 130
        failed = sum(not r.ok for r in runs)
        if failed:
            say(f"{failed} of {len(runs)} runs failed (see the logs named above)")
        return 1 if failed else 0
    finally:
        if made_worktree and not args.keep and base_sha:
            remove_worktree(base_sha)


if __name__ == "__main__":
    sys.exit(main())
