#!/usr/bin/env bash
# The test command (README "Run the tests"). On a fresh machine it installs what the
# tests need (Chromium and its driver for the browser scenarios, a PostgreSQL server,
# Redis, nginx and PgBouncer for the scaled-out tests, Python's venv and curl for the
# device API's contract check), starts a throw-away PostgreSQL and Redis
# on free local ports, and runs every check:
# vendored-asset checksums, formatting, clippy, the whole test suite, the hot paths'
# instruction counts under callgrind against their baseline (scripts/costs.sh), and the
# device API fuzzed against its OpenAPI document (scripts/api-contract.sh, schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || missing+=(nginx)
command -v pgbouncer >/dev/null || missing+=(pgbouncer)
command -v valgrind >/dev/null || missing+=(valgrind)
command -v curl >/dev/null || missing+=(curl)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A private PostgreSQL cluster, gone when the tests end.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_data=$(mktemp -d /tmp/voelgoed-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$pg_data"
    as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w \
    -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
stop_pg() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_data"; }
trap stop_pg EXIT
export VOELGOED_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"

# A private Redis without persistence, gone when the tests end (tests that stop or
# flush Redis start their own).
redis_dir=$(mktemp -d /tmp/voelgoed-redis.XXXXXX)
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
stop_redis() { kill "$(cat "$redis_dir/redis.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$redis_dir"; }
trap 'stop_pg; stop_redis' EXIT
export VOELGOED_TEST_REDIS="redis://127.0.0.1:$redis_port"

bash scripts/vendor-assets.sh --check
python3 scripts/ab.py --self-test
# The whole workspace: the console and the benchmarks' crate (crates/bench); every cargo
# line names --workspace, so all resolve one feature set and nothing is built twice.
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The gate-isolation tests measure scan latency (p99) while pages, exports and
# sign-ins are attacked: they run on their own after the rest, one at a time, so the
# other tests' load on a 2-core machine is not what they measure.
cargo test --workspace --all-targets --quiet -- --skip gate_isolation::
# What each hot path costs in instructions, against tests/costs/baseline.txt (BENCHMARKS.md,
# "Cost counts (callgrind)"), on the debug bench binary the line above built: 3 to 5 minutes.
bash scripts/costs.sh "${CARGO_TARGET_DIR:-target}/debug/voelgoed-bench"
cargo test --workspace --test api --quiet gate_isolation:: -- --test-threads=1
# The device API against /api/v1/openapi.json: no 5xx, every answer as documented.
bash scripts/api-contract.sh "${CARGO_TARGET_DIR:-target}/debug/voelgoed"
