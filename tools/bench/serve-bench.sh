#!/usr/bin/env bash
# Recording over HTTP: `ansinh serve`'s group commit against durable single commands,
# measured in one run on the same machine (issue 16's targets).
#
#   swift build -c release --product ansinh
#   tools/bench/serve-bench.sh [.build/release/ansinh] [SECONDS]
#
# Needs Debian's wrk (closed loop: 64 clients, each sending its next request when
# answered) and nghttp2-client's h2load (open loop: a fixed rate, whatever the answers);
# it installs them when missing. Every store is a new one in a temporary folder; each
# request records one 1.000 đ donation (a fresh event), and each store is audited after.
#
# Measured:
#   1. today: durable single commands, one `ansinh donate` after another (a process and
#      a flush each);
#   2. `ansinh serve --no-group-commit`, 64 clients: a transaction and a flush per request;
#   3. `ansinh serve` (group commit), 64 clients;
#   4. latency at a fixed 1 000 requests a second, with and without group commit.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${1:-.build/release/ansinh}
seconds=${2:-10}
[ -x "$bin" ] || { echo "serve-bench: build first: swift build -c release --product ansinh" >&2; exit 64; }
bin=$(realpath "$bin")
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v h2load >/dev/null || missing+=(nghttp2-client)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export ANSINH_TEST_TODAY=2024-06-01   # the ward's "today" for every command, so dates agree
export ANSINH_FUND=vi-nguoi-ngheo ANSINH_DATE=2024-06-01

# A new store with one fund and a treasurer; prints the treasurer's token.
new_store() {
    "$bin" init --ward "Núi Sam" --province "An Giang" --store "$1" >/dev/null
    "$bin" fund open vi-nguoi-ngheo --name "Quỹ Vì người nghèo" --date 2024-01-01 --store "$1" >/dev/null
    "$bin" users add bench --role treasurer --store "$1" 2>/dev/null
}

# Starts `ansinh serve` on STORE with OPTIONS…; sets $server and $url.
start_server() {
    local store=$1; shift
    "$bin" serve --store "$store" --listen 127.0.0.1:0 --user-rate 1e9 --user-burst 1e9 --log-level warning "$@" \
        >"$work/out" 2>"$work/log" &
    server=$!
    for _ in $(seq 200); do
        url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/out")
        [ -n "$url" ] && return
        sleep 0.05
    done
    echo "serve-bench: the server did not start: $(cat "$work/log")" >&2
    exit 74
}

stop_server() {
    kill -TERM "$server"; wait "$server" || true; server=""
}

# Events in STORE's log, and whether its audit passes.
check_store() {
    local events
    events=$("$bin" status --store "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["headPosition"] - 1)')
    "$bin" audit verify --store "$1" >/dev/null 2>&1 && echo "$events events, audit passed" || echo "$events events, AUDIT FAILED"
}

echo "# ansinh serve: group commit (issue 16)"
echo
echo "Run on $(date -u +%Y-%m-%d) with \`tools/bench/serve-bench.sh $1 $seconds\` ($(nproc) cores; $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); $(h2load --version | head -1))."
echo

# 1. Durable single commands, one after another.
store="$work/single"; new_store "$store" >/dev/null
count=100
start=$(date +%s.%N)
for i in $(seq $count); do
    "$bin" donate --fund vi-nguoi-ngheo --donor "Hội Doanh nhân trẻ" --donor-kind organisation --amount 1000 \
        --date 2024-06-01 --store "$store" --actor bench >/dev/null
done
end=$(date +%s.%N)
single=$(python3 -c "print(f'{$count / ($end - $start):.1f}')")
echo "| recording | clients | requests/s | p50 ms | p99 ms | non-201 | store after |"
echo "|---|---:|---:|---:|---:|---:|---|"
echo "| \`ansinh donate\`, one after another (today) | 1 | $single | | | 0 | $(check_store "$store") |"

# 2, 3. 64 clients, as fast as answers come, without and with group commit.
run_wrk() {
    local label=$1 option=$2 store="$work/$3"
    token=$(new_store "$store")
    start_server "$store" $option
    ANSINH_TOKEN=$token wrk -t2 -c64 -d"${seconds}s" --latency -s tools/bench/wrk/post-donation.lua "$url" >"$work/wrk" 2>&1
    stop_server
    local rate p50 p99 failures
    rate=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk")
    failures=$(grep -cE '^ *status [0-9]+' "$work/wrk" || true)
    echo "| $label | 64 | $rate | $p50 | $p99 | $( [ "$failures" = 0 ] && echo 0 || grep -E 'status [0-9]+' "$work/wrk" | tr '\n' ' ') | $(check_store "$store") |"
    echo "$rate" >"$work/rate-$3"
}
run_wrk "\`ansinh serve --no-group-commit\`" --no-group-commit plain
run_wrk "\`ansinh serve\` (group commit)" "" grouped

# 4. A fixed 1 000 requests a second (16 clients × 62.5), open loop, 2 000 × SECONDS requests.
line='{"type":"DonationReceived","data":{"fundId":"vi-nguoi-ngheo","donor":{"name":"Hội Doanh nhân trẻ phường Núi Sam","kind":"organisation"},"amount":1000,"receivedOn":"2024-06-01"}}'
printf '%s\n' "$line" >"$work/body"
run_h2load() {
    local label=$1 option=$2 store="$work/$3"
    token=$(new_store "$store")
    start_server "$store" $option
    # The 16 clients start 1 ms apart, so that their requests interleave as independent
    # clerks' would, rather than all 16 arriving together every 16 ms.
    h2load --h1 -c16 --rps=62.5 -n $((seconds * 2000)) -r 1 --rate-period=1ms -d "$work/body" \
        -H "Content-Type: application/x-ndjson" -H "Authorization: Bearer $token" \
        --log-file="$work/h2log-$3" "$url/v1/events" >"$work/h2" 2>&1
    stop_server
    python3 - "$work/h2log-$3" "$label" "$(check_store "$store")" "$(awk '/^finished in/ {print $4}' "$work/h2")" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
latencies = sorted(int(row[2]) / 1000 for row in rows)   # microseconds → ms
failures = sum(1 for row in rows if row[1] != "201")
def at(q): return latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(f"| {sys.argv[2]}, fixed rate | 16 | {sys.argv[4]} | {at(0.50):.2f} | {at(0.99):.2f} | {failures} | {sys.argv[3]} |")
PY
}
run_h2load "\`ansinh serve --no-group-commit\`" --no-group-commit plain-rate
run_h2load "\`ansinh serve\` (group commit)" "" grouped-rate

echo
python3 -c "
single, plain, grouped = $single, $(cat "$work/rate-plain"), $(cat "$work/rate-grouped")
print(f'Group commit with 64 clients: {grouped / single:.0f}× durable single commands, {grouped / plain:.1f}× one transaction per request.')"
