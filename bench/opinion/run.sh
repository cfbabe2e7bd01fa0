#!/usr/bin/env bash
# Public opinion: posts parsed, segmented, scored, matched and grouped on one core by
# ningan-opinion (jieba-rs), and the same work by Python's jieba in the same run, on the same
# posts with the same user dictionary; prints both rates, the ratio, and how many of a
# sample of posts both cut the same (and the first differences). Needs Python's jieba
# (apt-get install python3-jieba, or pip install jieba).
#   bash bench/opinion/run.sh          # POSTS=200000 PY_POSTS=20000 SAMPLE=2000
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -c "import jieba" 2> /dev/null || { echo "needs Python's jieba: apt-get install python3-jieba" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$(taskset -c 0 cargo bench -p ningan-opinion --bench ingest -- --posts "${POSTS:-200000}" --write "$dir" --sample "${SAMPLE:-2000}")
echo "$out" | grep -v '^rate_'
peer=$(taskset -c 0 python3 bench/opinion/peer.py "$dir" --posts "${PY_POSTS:-20000}")
echo "$peer" | grep -v '^rate_'
rust=$(echo "$out" | awk '/^rate_rust/ {print $2}')
py=$(echo "$peer" | awk '/^rate_python/ {print $2}')
echo "ratio: $(python3 -c "print(f'{$rust / $py:.0f}')")x (goal ≥ 20x)"
