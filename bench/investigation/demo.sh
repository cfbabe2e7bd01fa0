#!/usr/bin/env bash
# Times the 100k-resident demo (its million-record investigation case included) on SQLite,
# asks the ready case for its groups (first ask builds the graph; the second is cached) and
# imports a million call records into the waiting case, with the time to done.
#   cargo build --release -p ningan && bash bench/investigation/demo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/ningan}
work=$(mktemp -d)
DATA=${DATA:-$work/demo}
rm -rf "$DATA"
start=$(date +%s.%N)
"$BIN" demo --people 100000 --no-serve --data "$DATA" > "$work/demo.out" 2> "$work/demo.err"
end=$(date +%s.%N)
echo "demo --people 100000: $(python3 -c "print(round($end-$start,1))") s"
pw=$(awk '$1=="detective"{print $2}' "$work/demo.out")
"$BIN" serve --data "$DATA" --listen 127.0.0.1:18080 > "$work/serve.log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT
for i in $(seq 1 100); do curl -sf http://127.0.0.1:18080/healthz > /dev/null && break; sleep 0.2; done
jar=$(mktemp)
tok=$(curl -s -c "$jar" -H 'content-type: application/json' -d "{\"username\":\"detective\",\"password\":\"$pw\"}" http://127.0.0.1:18080/api/auth/login | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')
cases=$(curl -s -b "$jar" "http://127.0.0.1:18080/api/investigation/cases?q=%E9%98%BF%E9%BE%99")
ready=$(echo "$cases" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
cases=$(curl -s -b "$jar" "http://127.0.0.1:18080/api/investigation/cases?q=%E8%B5%8C%E5%9C%BA")
waiting=$(echo "$cases" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
for round in first again; do
  t0=$(date +%s.%N)
  curl -s -b "$jar" "http://127.0.0.1:18080/api/investigation/cases/$ready/graph/groups?min_count=5" > "$work/groups.json"
  t1=$(date +%s.%N)
  echo "groups ($round ask): $(python3 -c "print(round($t1-$t0,2))") s"
done
WORK="$work" python3 - <<'PY'
import json, os
v=json.load(open(os.environ['WORK'] + '/groups.json'))
print("relations", v["relations"], "entities", v["entities"])
for g in v["groups"][:5]:
    print("group", g["index"], len(g["members"]), "members, density", round(g["density"],1), "core", g["members"][0]["label"], g["members"][0]["strength"])
PY
WORK="$work" python3 - <<'PY'
import os, random
random.seed(3)
with open(os.environ['WORK'] + '/calls1m.csv','w') as f:
    f.write('caller,callee,start,duration_s\n')
    for i in range(1000000):
        a=random.randrange(200000); b=random.randrange(200000)
        if a==b: b=(b+1)%200000
        f.write(f'13{100000000+a:09d},13{100000000+b:09d},2026-11-{1+i%28:02d} {i%24:02d}:{i%60:02d}:00,{i%600}\n')
PY
t0=$(date +%s.%N)
imp=$(curl -s -b "$jar" -H "x-csrf-token: $tok" --data-binary @"$work/calls1m.csv" "http://127.0.0.1:18080/api/investigation/cases/$waiting/imports?kind=calls&name=calls1m.csv" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t1=$(date +%s.%N)
echo "upload of $(du -h "$work/calls1m.csv" | cut -f1): $(python3 -c "print(round($t1-$t0,1))") s"
while true; do
  st=$(curl -s -b "$jar" "http://127.0.0.1:18080/api/investigation/cases/$waiting/imports/$imp" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d["rows_done"], d["accepted"], d["refused"])')
  case "$st" in done*|failed*) break;; esac
  sleep 1
done
t2=$(date +%s.%N)
echo "import of 1,000,000 rows: $st in $(python3 -c "print(round($t2-$t1,1))") s"
