#!/usr/bin/env bash
# The device API against its own OpenAPI document: schemathesis (PyPI) generates
# requests from /api/v1/openapi.json, valid and invalid, and checks that no answer is a
# 5xx and every answer (status, content type, headers, body) is one the document
# describes. Runs a demo server on a fresh SQLite database with a device token.
#   bash scripts/api-contract.sh [path/to/voelgoed]   (default: target/debug/voelgoed)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-${CARGO_TARGET_DIR:-target}/debug/voelgoed}")
venv=${VOELGOED_SCHEMATHESIS_VENV:-$HOME/.cache/voelgoed/schemathesis}
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" demo --addr "127.0.0.1:$port" --database "$work/demo.sqlite" --mail-log "$work/mail.log" \
    --live-orders 200 --orders-per-second 0 --scans-per-second 0 >"$work/demo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
token=$("$bin" admin create-device --database "$work/demo.sqlite" --event 1 --gate North)
# From the temporary folder: schemathesis keeps a cache where it runs.
cd "$work"
"$venv/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,ignored_auth \
    --max-examples "${VOELGOED_CONTRACT_EXAMPLES:-60}" --workers 2 --seed 7
