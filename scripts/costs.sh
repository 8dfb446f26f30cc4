#!/usr/bin/env bash
# Cost guards: the instructions one run of each hot path takes, counted by callgrind,
# compared with tests/costs/baseline.txt.
#
#   bash scripts/costs.sh [--update] [BINARY]        (BINARY: target/debug/voelgoed-bench)
#
# Builds nothing: it measures the debug (dev-profile) bench binary that `cargo test
# --workspace --all-targets` has just built. Each case of `voelgoed-bench bench-costs` runs under
# `valgrind --tool=callgrind --instr-atstart=no`: the binary seeds a small fixture,
# starts the server, warms the case up, then starts instrumentation and runs the case
# N times, each run counted on its own (zeroed before it, dumped as "measured run" at
# its end; what a run needs arranged comes between, uncounted), and stops it. Every
# thread counts: HTTP workers, the scan writer, the live hub, and the client. This
# script takes the median of the runs' dumps, prints per case the baseline's instructions per run,
# this run's, their ratio and the case's wall time, and fails (exit 1) when any case
# takes more than 5 % over its baseline. Counts repeat from run to run to well under
# 1 % (BENCHMARKS.md, "Cost counts (callgrind)").
#
# --update rewrites the baseline with this run's counts. A commit that raises a
# baseline must add a line to BENCHMARKS.md ("Cost counts (callgrind)") saying why.
set -euo pipefail
cd "$(dirname "$0")/.."

baseline=tests/costs/baseline.txt
update=false
binary=target/debug/voelgoed-bench
for arg in "$@"; do
    case "$arg" in
        --update) update=true ;;
        -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
        *) binary=$arg ;;
    esac
done
[ -x "$binary" ] || { echo "costs: no binary at $binary (run cargo build -p voelgoed-bench first)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "costs: valgrind is not installed" >&2; exit 2; }

# Each case and the runs it measures: fewer for the heavy ones, more for the smallest
# renders (a few hundred thousand instructions, of which the runtime's timers move a few
# thousand from one run to the next).
cases=(
    "scan-batch-1 10"
    "scan-batch-500 3"
    "scan-batch-1-zoned 10"
    "dashboard-warm 10"
    "dashboard-cold 10"
    "monitor-first-load 10"
    "orders-first-page 10"
    "orders-search 10"
    "render-dashboard 10"
    "render-monitor-panel 30"
    "render-arrivals 10"
    "render-gate-alerts 30"
    "render-overview 30"
    "render-order-rows 10"
    "render-kiosk 50"
    "fanout-1000 1"
    "scan-request-layers 10"
)

out=$(mktemp -d /tmp/voelgoed-costs.XXXXXX)
started=$SECONDS
declare -A now seconds
names=()
for entry in "${cases[@]}"; do
    read -r name repeat <<<"$entry"
    case_started=$SECONDS
    counted=${#names[@]}
    if ! RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/$name.out" \
        "$binary" bench-costs --case "$name" --repeat "$repeat" >"$out/$name.log" 2>&1; then
        echo "costs: $name failed; its output:" >&2
        tail -n 20 "$out/$name.log" >&2
        exit 1
    fi
    # One dump per measured run (named by the binary), each with its own totals. A case
    # that counts several things names each one's runs "measured run NAME": each is
    # reported, and guarded, as NAME (in the order they first come).
    while read -r key runs total; do
        what=$name
        [ "$key" = - ] || what=$key
        if ((runs != repeat)); then
            echo "costs: $what: $runs measured runs dumped, expected $repeat" >&2
            exit 1
        fi
        names+=("$what")
        now[$what]=$total
        seconds[$what]=$((SECONDS - case_started))
    done < <(awk '/^desc: Trigger: Client Request: measured run/ {
            key = $0; sub(/^desc: Trigger: Client Request: measured run ?/, "", key)
            if (key == "") key = "-"
            if (!(key in n)) order[++keys] = key
            run = 1
        }
        /^totals:/ { if (run) { n[key]++; runs[key, n[key]] = $2 }; run = 0 }
        # The median run: one run that paid a timing-dependent read (a token snapshot
        # outliving its 2 s while callgrind translates code on a slow box) moves it not.
        END {
            for (i = 1; i <= keys; i++) {
                k = order[i]; m = n[k]
                for (a = 1; a <= m; a++) v[a] = runs[k, a]
                for (a = 2; a <= m; a++) { x = v[a]; b = a - 1; while (b > 0 && v[b] > x) { v[b + 1] = v[b]; b-- }; v[b + 1] = x }
                med = (m % 2) ? v[(m + 1) / 2] : int((v[m / 2] + v[m / 2 + 1]) / 2)
                print k, m, med
            }
        }' $(ls -v "$out/$name.out".*))
    if ((${#names[@]} == counted)); then
        echo "costs: $name: no measured run dumped" >&2
        exit 1
    fi
done
elapsed=$((SECONDS - started))

declare -A base
if [ -f "$baseline" ]; then
    while read -r name count; do
        [[ -z "$name" || "$name" == \#* ]] || base[$name]=$count
    done <"$baseline"
fi

failed=0
printf '%-28s %14s %14s %7s %5s\n' case baseline now ratio secs
for name in "${names[@]}"; do
    was=${base[$name]:-}
    if [ -z "$was" ]; then
        printf '%-28s %14s %14d %7s %5d\n' "$name" - "${now[$name]}" new "${seconds[$name]}"
        $update || failed=1
        continue
    fi
    ratio=$(awk -v a="${now[$name]}" -v b="$was" 'BEGIN { printf "%.3f", a / b }')
    flag=""
    if awk -v r="$ratio" 'BEGIN { exit !(r > 1.05) }'; then
        flag="  over +5 %"
        failed=1
    fi
    printf '%-28s %14d %14d %7s %5d%s\n' "$name" "$was" "${now[$name]}" "$ratio" "${seconds[$name]}" "$flag"
done
echo "costs: ${#cases[@]} cases under callgrind in ${elapsed} s"

if $update; then
    {
        echo "# Instructions (callgrind Ir) per run of each \`voelgoed-bench bench-costs\` case, from"
        echo "# \`bash scripts/costs.sh --update\` on the debug (dev-profile) binary built by"
        echo "# \`cargo test --workspace --all-targets\` (target/debug/voelgoed-bench), with $(valgrind --version) and"
        echo "# $(rustc --version 2>/dev/null || echo 'an unknown rustc'). A commit that raises one"
        echo "# must say why in BENCHMARKS.md (\"Cost counts (callgrind)\")."
        for name in "${names[@]}"; do
            echo "$name ${now[$name]}"
        done
    } >"$baseline"
    echo "costs: wrote $baseline"
    rm -rf "$out"
    exit 0
fi
if ((failed)); then
    echo "costs: a case costs more than 5 % over its baseline (or has none). Callgrind's dumps are" >&2
    echo "       in $out: callgrind_annotate $out/CASE.out.1 shows where a run's" >&2
    echo "       instructions went. If the rise is wanted, run bash scripts/costs.sh --update and" >&2
    echo "       say why in BENCHMARKS.md." >&2
    exit 1
fi
rm -rf "$out"
