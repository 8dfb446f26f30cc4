#!/usr/bin/env bash
# The gate path on both backends and PostgreSQL's own anchor, alternately, in one run on
# one box (BENCHMARKS.md, "The PostgreSQL gate path"): per round, bench-scans on SQLite,
# bench-scans on a fresh PostgreSQL database, and `pgbench -N` (three statements and a
# commit per transaction) against the same server, with as many clients as devices.
# The ratios PostgreSQL / SQLite and PostgreSQL / pgbench are the figures.
#
#   bash scripts/scan-backends.sh postgres://postgres@127.0.0.1:5432/postgres [rounds] [bench-scans flags…]
#
# BINS names the bench binaries to run, each in turn within every round (default
# target/release/voelgoed-bench; e.g. BINS="target/ab/voelgoed-bench-A target/release/voelgoed-bench"
# compares two builds on both backends). Logs in target/ab/logs/scans-*.log; the
# medians are printed with scripts/ab.py's parser.
set -euo pipefail
cd "$(dirname "$0")/.."
admin=${1:?a PostgreSQL URL whose user may create databases}
rounds=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
flags=("$@")
((${#flags[@]})) || flags=(--seconds 5)
read -r -a bins <<<"${BINS:-target/release/voelgoed-bench}"
devices=64
for ((i = 0; i < ${#flags[@]}; i++)); do
    [ "${flags[$i]}" = --devices ] && devices=${flags[$((i + 1))]}
done
seconds=5
for ((i = 0; i < ${#flags[@]}; i++)); do
    [ "${flags[$i]}" = --seconds ] && seconds=${flags[$((i + 1))]}
done
logs=target/ab/logs
mkdir -p "$logs"
rm -f "$logs"/scans-*.log
base=${admin%/*}
anchor="voelgoed_pgbench_$$"
psql "$admin" -qc "CREATE DATABASE $anchor" >/dev/null
pgbench -q -i -s 10 "$base/$anchor" >/dev/null 2>&1
echo "PostgreSQL: $(psql "$admin" -Atc 'SHOW synchronous_commit') synchronous_commit, fsync $(psql "$admin" -Atc 'SHOW fsync')"
for round in $(seq "$rounds"); do
    for n in "${!bins[@]}"; do
        bin=${bins[$n]}
        echo "round $round/$rounds, build $n ($bin): SQLite" >&2
        "$bin" bench-scans "${flags[@]}" >"$logs/scans-sqlite-$n-$round.log" 2>&1
        name="voelgoed_scans_$$_$round"
        psql "$admin" -qc "CREATE DATABASE $name" >/dev/null
        echo "round $round/$rounds, build $n: PostgreSQL" >&2
        "$bin" bench-scans --database "$base/$name" "${flags[@]}" >"$logs/scans-postgres-$n-$round.log" 2>&1 || true
        psql "$admin" -qc "DROP DATABASE $name" >/dev/null
    done
    echo "round $round/$rounds: pgbench -N -c $devices -j 2 -T $seconds" >&2
    pgbench -N -c "$devices" -j 2 -T "$seconds" "$base/$anchor" 2>/dev/null | grep -E '^tps' >"$logs/scans-pgbench-$round.log"
done
psql "$admin" -qc "DROP DATABASE $anchor" >/dev/null
for n in "${!bins[@]}"; do
    for backend in sqlite postgres; do
        echo "== build $n (${bins[$n]}), $backend"
        python3 scripts/ab.py --parse "$logs"/scans-"$backend"-"$n"-*.log | grep -E 'req/s|decisions/s' || true
    done
done
echo "== pgbench -N, tps per round"
cat "$logs"/scans-pgbench-*.log
