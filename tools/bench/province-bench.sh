#!/usr/bin/env bash
# A province's load and report (issue 18), measured in one run on one machine:
#
#   swift build -c release --product ansinh
#   tools/bench/province-bench.sh [.build/release/ansinh] [WARDS] [EVENTS_PER_WARD]
#
# (defaults: 100 wards × 200 000 events, 20 million events in all).
#
# 1. One ward's year is generated (funds, members, a piggy-bank model, daily 1.000 đ
#    deposits, donations, disbursements, reversals), imported into a store with
#    `ansinh import`, signed (`ansinh keys init`) and exported (`ansinh export`).
# 2. A PostgreSQL in a temporary folder (Debian's postgresql; fsync on, as in
#    production), the schema, and WARDS wards registered with that export's key.
# 3. Load: `ansinh province pull --export` of that export into every ward, two pulls at
#    a time (2 cores): every check a pull makes (signatures, consistency proofs, chain,
#    Merkle root per batch) and every read model, committed batch by batch.
# 4. Baseline: PostgreSQL's own `COPY` of the same rows (the events table's rows, read
#    back out of the province) into an identical, empty, partitioned table with the same
#    keys and indexes, two at a time: what the database alone costs for these rows.
# 5. The cross-ward report for the year: `ansinh province report --format json`, 5 runs,
#    each a whole command (process start and connection included).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${1:-.build/release/ansinh}
wards=${2:-100}
events=${3:-200000}
[ -x "$bin" ] || { echo "province-bench: build first: swift build -c release --product ansinh" >&2; exit 64; }
bin=$(realpath "$bin")
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "province-bench: install Debian's postgresql" >&2; exit 64; }

work=$(mktemp -d)
chmod 755 "$work"
as_pg=()
[ "$(id -u)" -eq 0 ] && { chown postgres "$work"; as_pg=(runuser -u postgres --); }
port=$((20000 + RANDOM % 20000))
cleanup() {
    (cd /tmp && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1) || true
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
export ANSINH_TEST_TODAY=2025-01-15

echo "== one ward's year: $events events"
python3 - "$events" > "$work/ward.jsonl" <<'PY'
import json, sys, uuid, random, datetime
total = int(sys.argv[1]); random.seed(18)
out = []
def line(t, d): out.append(json.dumps({"type": t, "data": d, "eventId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{len(out)}"))}, ensure_ascii=False))
for f in ["vi-nguoi-ngheo", "khuyen-hoc", "den-on-dap-nghia", "an-sinh"]:
    line("FundOpened", {"fundId": f, "name": f"Quỹ {f}", "openedOn": "2024-01-01", "openingBalance": 10_000_000})
members = max(10, min(600, total // 300))
for m in range(members):
    line("MemberEnrolled", {"memberId": f"DV-{m:04d}", "fullName": f"Nguyễn Văn Bình {m}", "cell": f"Chi bộ {m % 12 + 1}", "enrolledOn": "2024-01-01"})
line("PiggyBankModelStarted", {"modelId": "ong-heo-2024", "name": "Ống heo 2024", "fundId": "an-sinh", "startsOn": "2024-01-01", "endsOn": "2024-11-30", "dailyTarget": 1000})
start = datetime.date(2024, 1, 1); donations = []
while len(out) < total:
    i = len(out); day = start + datetime.timedelta(days=(i * 334) // total)
    r = random.random()
    if r < 0.80:
        line("PiggyBankDeposited", {"modelId": "ong-heo-2024", "memberId": f"DV-{random.randrange(members):04d}", "amount": 1000 * random.randint(1, 7), "depositedOn": day.isoformat()})
    elif r < 0.93:
        line("DonationReceived", {"fundId": random.choice(["vi-nguoi-ngheo", "khuyen-hoc", "den-on-dap-nghia"]), "donor": {"name": "Công ty TNHH Bình An", "kind": "business"}, "amount": random.randint(1, 50) * 100_000, "receivedOn": day.isoformat()})
        donations.append(json.loads(out[-1])["eventId"])
    elif r < 0.995:
        line("DisbursementMade", {"disbursementId": f"chi-{i}", "fundId": "vi-nguoi-ngheo", "purpose": random.choice(["gift", "healthInsurance", "scholarship"]), "beneficiary": {"name": "Hộ bà Trần Thị Mai", "kind": "poorHousehold", "area": "Khóm Vĩnh Đông 1"}, "amount": 10_000, "quantity": 1, "disbursedOn": day.isoformat()})
    elif donations:
        line("EntryReversed", {"reversesEventId": donations.pop(), "reversedOn": day.isoformat(), "reason": "Ghi nhầm"})
print("\n".join(out))
PY
"$bin" init --store "$work/ward" --ward "Bình An" --province "An Giang" >/dev/null
t0=$(now); "$bin" import "$work/ward.jsonl" --store "$work/ward" >/dev/null; t1=$(now)
echo "ward import: $(python3 -c "print(f'{$events/($t1-$t0):,.0f} events/s')")"
key=$("$bin" keys init --store "$work/ward" | tail -1)
"$bin" export --store "$work/ward" --out "$work/export" >/dev/null

echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') in $work/pg, port $port"
(cd /tmp && "${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U ansinh --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null)
cat >> "$work/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work'
shared_buffers = 2GB
max_wal_size = 16GB
checkpoint_timeout = 30min
CONF
(cd /tmp && "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start >/dev/null)
psql=("$pgbin/psql" -h 127.0.0.1 -p "$port" -U ansinh -X -q -v ON_ERROR_STOP=1)
"${psql[@]}" -d postgres -c "CREATE DATABASE province" >/dev/null
db="postgres://ansinh@127.0.0.1:$port/province"
"$bin" province init --db "$db" >/dev/null
for i in $(seq 1 "$wards"); do "$bin" province ward add "w-$i" --db "$db" --name "Phường $i" --public-key "$key" >/dev/null; done

echo "== load: $wards wards × $events events through ansinh province pull, 2 at a time"
t0=$(now)
seq 1 "$wards" | xargs -P 2 -I{} "$bin" province pull --db "$db" --ward "w-{}" --export "$work/export" --batch-size 5000 >/dev/null
t1=$(now)
loaded=$("${psql[@]}" -d province -A -t -c "SELECT count(*) FROM province.events")
pull_s=$(python3 -c "print(f'{$t1-$t0:.1f}')")
echo "pull: $loaded events in $pull_s s = $(python3 -c "print(f'{$loaded/($t1-$t0):,.0f} events/s')")"

echo "== baseline: COPY of the same rows into an identical table"
"${psql[@]}" -d province -c "\\copy (SELECT * FROM province.events WHERE ward_id = 'w-1' ORDER BY position) TO '$work/rows.tsv'"
"${psql[@]}" -d province <<SQL >/dev/null
CREATE SCHEMA baseline;
CREATE TABLE baseline.events (LIKE province.events INCLUDING ALL) PARTITION BY LIST (ward_id);
CREATE INDEX ON baseline.events (ward_id, event_id);
CREATE INDEX ON baseline.events (ward_id, fund_id, counts_on) WHERE fund_id IS NOT NULL;
SQL
for i in $(seq 1 "$wards"); do
    "${psql[@]}" -d province -c "CREATE TABLE baseline.events_w_$i PARTITION OF baseline.events FOR VALUES IN ('w-$i')" >/dev/null
done
export work pgbin port
copy_ward() { sed "s/^w-1\t/w-$1\t/" "$work/rows.tsv" | "$pgbin/psql" -h 127.0.0.1 -p "$port" -U ansinh -X -q -d province -c "\\copy baseline.events FROM STDIN"; }
export -f copy_ward
t0=$(now)
seq 1 "$wards" | xargs -P 2 -I{} bash -c 'copy_ward {}'
t1=$(now)
copied=$("${psql[@]}" -d province -A -t -c "SELECT count(*) FROM baseline.events")
copy_s=$(python3 -c "print(f'{$t1-$t0:.1f}')")
echo "COPY: $copied rows in $copy_s s = $(python3 -c "print(f'{$copied/($t1-$t0):,.0f} rows/s')")"
echo "pull ÷ COPY time: $(python3 -c "print(f'{$pull_s/$copy_s:.2f}×')")"
"${psql[@]}" -d province -c "VACUUM ANALYZE" >/dev/null
echo "database: $("${psql[@]}" -d province -A -t -c "SELECT pg_size_pretty(pg_database_size('province'))") (baseline rows included)"

echo "== the cross-ward report for 2024"
for run in 1 2 3 4 5; do
    t0=$(now); "$bin" province report --db "$db" --from 2024-01-01 --to 2024-12-31 --format json > "$work/report.json"; t1=$(now)
    echo "report $run: $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')") ($(wc -c < "$work/report.json") bytes)"
done
python3 - "$work/report.json" "$wards" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert len(r["wards"]) == n, "every ward is in the report"
print(f"report: {n} wards, {sum(len(w['funds']) for w in r['wards'])} fund rows, {len(r['piggyBankCells'])} cells, closing total {r['totals']['closing']:,} đ")
PY
