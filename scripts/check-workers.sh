#!/usr/bin/env bash
# Issue 15, item 0: the number of bmrs processes a command runs is exactly what --jobs
# asks for (or its default), for `report`, `grid run` and `sweep`, with and without
# --jobs; a worker never starts workers. Also: killing the parent ends its workers, and
# an installed binary renders reports outside the repository.
# Usage: scripts/check-workers.sh [BMRS_BINARY]   (needs Fashion-MNIST; fails loudly)
set -euo pipefail
cd "$(dirname "$0")/.."
bmrs="$(cd "$(dirname "${1:-.build/release/bmrs}")" && pwd)/$(basename "${1:-.build/release/bmrs}")"
[ -x "$bmrs" ] || { echo "check-workers: $bmrs not found" >&2; exit 1; }
tmp=$(mktemp -d /tmp/bmrs-workers.XXXXXX)
trap 'pkill -f -- "$tmp" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat > "$tmp/grid.yaml" <<YAML
name: workers
datasets: [fashion-mnist]
networks: [{kind: mlp, hidden: 8, depth: 1}]
methods: [none, snr, l2, etheta]
seeds: [1, 2, 3]
epochs: 2
finetune_epochs: 1
train_limit: 3000
validation_limit: 200
YAML

# Runs a command in the background and records the largest number of processes whose
# command line names its (unique) output directory, sampled every 50 ms.
peak() {
    local out=$1; shift
    "$@" >"$out.log" 2>&1 &
    local pid=$! max=0 n
    while kill -0 "$pid" 2>/dev/null; do
        n=$(pgrep -fc -- "$out" || true)
        (( n > max )) && max=$n
        sleep 0.05
    done
    wait "$pid" || { echo "check-workers: FAILED: command failed: $*" >&2; tail -20 "$out.log" >&2; exit 1; }
    echo "$max"
}

fail=0
check() {
    local expected=$1 name=$2; shift 2
    local got
    got=$(peak "$@")
    if [ "$got" = "$expected" ]; then echo "check-workers: $name: $got process(es) (expected $expected)"
    else echo "check-workers: FAILED $name: $got process(es), expected $expected" >&2; fail=1; fi
}
check 2 "report (default --jobs 2)" "$tmp/r1" "$bmrs" report "$tmp/grid.yaml" --runs "$tmp/r1" --out "$tmp/r1-report"
check 3 "report --jobs 3" "$tmp/r2" "$bmrs" report "$tmp/grid.yaml" --jobs 3 --runs "$tmp/r2" --out "$tmp/r2-report"
check 1 "grid run (default --jobs 1)" "$tmp/g1" "$bmrs" grid run "$tmp/grid.yaml" --out "$tmp/g1"
check 2 "grid run --jobs=2" "$tmp/g2" "$bmrs" grid run "$tmp/grid.yaml" --jobs=2 --out "$tmp/g2"
sweep=(sweep --network mlp --hidden 8 --depth 1 --epochs 1 --finetune-epochs 0 --levels 6 --criteria snr,l2 --train-limit 3000)
check 1 "sweep (default --jobs 1)" "$tmp/s1" "$bmrs" "${sweep[@]}" --out "$tmp/s1"
check 2 "sweep --jobs 2" "$tmp/s2" "$bmrs" "${sweep[@]}" --jobs 2 --out "$tmp/s2"

# A killed parent takes its workers with it (they would otherwise go on as orphans).
"$bmrs" grid run "$tmp/grid.yaml" --jobs 2 --out "$tmp/k" >"$tmp/k.log" 2>&1 &
parent=$!
for _ in $(seq 100); do (( $(pgrep -fc -- "$tmp/k" || true) >= 2 )) && break; sleep 0.05; done
kill -9 "$parent"; wait "$parent" 2>/dev/null || true
for _ in $(seq 40); do (( $(pgrep -fc -- "$tmp/k" || true) == 0 )) && break; sleep 0.1; done
left=$(pgrep -fc -- "$tmp/k" || true)
if [ "$left" = 0 ]; then echo "check-workers: parent killed: its workers ended"
else echo "check-workers: FAILED: $left worker(s) left running after the parent was killed" >&2; fail=1; fi
# An installed binary works anywhere (issue 16): copied out of the repository and run from
# a folder with no templates/ above it, `report --from` renders with the built-in templates.
mkdir -p "$tmp/bin" "$tmp/elsewhere"
cp "$bmrs" "$tmp/bin/bmrs"
if (cd "$tmp/elsewhere" && "$tmp/bin/bmrs" report --from "$tmp/r1" --out "$tmp/elsewhere/report" >"$tmp/installed.log" 2>&1) \
    && [ -s "$tmp/elsewhere/report/report.md" ] && [ -s "$tmp/elsewhere/report/table.tex" ]; then
    echo "check-workers: an installed binary outside the repository wrote the full report"
else
    echo "check-workers: FAILED: report from an installed binary:" >&2; tail -5 "$tmp/installed.log" >&2; fail=1
fi
exit $fail
