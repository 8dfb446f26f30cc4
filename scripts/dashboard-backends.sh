#!/usr/bin/env bash
# bench-dashboard on SQLite and on PostgreSQL, alternately, in one run on one box: the
# ratio of the two is the figure (BENCHMARKS.md). Each PostgreSQL run gets a fresh
# database (the bench seeds its own organisation and owner).
#
#   bash scripts/dashboard-backends.sh postgres://postgres@127.0.0.1:5432/postgres [rounds] [bench flags…]
#
# Uses target/release/voelgoed-bench (cargo build --release -p voelgoed-bench first; VOELGOED_BIN names another); logs in target/ab/logs/backends-*.log,
# then prints each measure's medians with scripts/ab.py's parser.
set -euo pipefail
cd "$(dirname "$0")/.."
admin=${1:?a PostgreSQL URL whose user may create databases}
rounds=${2:-2}
shift $(( $# < 2 ? $# : 2 ))
flags=("$@")
((${#flags[@]})) || flags=(--tickets 1000000 --seconds 3 --loads 100)
bin=${VOELGOED_BIN:-target/release/voelgoed-bench}
logs=target/ab/logs
mkdir -p "$logs"
base=${admin%/*}
for round in $(seq "$rounds"); do
    echo "round $round/$rounds: SQLite" >&2
    "$bin" bench-dashboard "${flags[@]}" >"$logs/backends-sqlite-$round.log" 2>&1
    name="voelgoed_backends_$$_$round"
    psql "$admin" -qc "CREATE DATABASE $name" >/dev/null
    echo "round $round/$rounds: PostgreSQL" >&2
    "$bin" bench-dashboard --database "$base/$name" "${flags[@]}" >"$logs/backends-postgres-$round.log" 2>&1 || true
    psql "$admin" -qc "DROP DATABASE $name" >/dev/null
done
for backend in sqlite postgres; do
    echo "== $backend"
    python3 scripts/ab.py --parse "$logs"/backends-"$backend"-*.log
done
