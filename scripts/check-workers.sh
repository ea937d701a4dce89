#!/usr/bin/env bash
# Issue 15, item 0: the number of bmrs processes a command runs is exactly what --jobs
# asks for (or its default), for `report`, `grid run` and `sweep`, with and without
# --jobs; a worker never starts workers. Also: killing the parent ends its workers
# (an installed binary rendering reports anywhere: scripts/check-installed.sh).
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
# Clean stops (issue 15, item 4): SIGTERM (Slurm's warning) and SIGINT (Ctrl-C) end a
# grid with --jobs 2 within two seconds, non-zero, saying how to resume, leaving no lock,
# temporary file or worker behind; the rerun completes with the summary of an
# uninterrupted run.
for sig in TERM INT; do
    d="$tmp/stop-$sig"
    "$bmrs" grid run "$tmp/grid.yaml" --jobs 2 --out "$d" >"$d.log" 2>&1 &
    parent=$!
    for _ in $(seq 200); do [ "$(ls "$d/runs" 2>/dev/null | grep -c '\.json$')" -ge 2 ] && break; sleep 0.05; done
    kill -"$sig" "$parent"
    start=$(date +%s.%N)
    rc=0; wait "$parent" || rc=$?
    took=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$start" "$(date +%s.%N)")
    sleep 0.3
    left=$(pgrep -fc -- "$d" || true)
    locks=$(find "$d" -name '*.lock' -o -name '*.tmp' | wc -l)
    if [ "$rc" -ne 0 ] && grep -q "rerun the same command to resume" "$d.log" && [ "$left" = 0 ] && [ "$locks" = 0 ] \
        && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 2.0 else 1)" "$took"; then
        echo "check-workers: SIG$sig: stopped in $took s with exit $rc, no locks, temporary files or workers left"
    else
        echo "check-workers: FAILED SIG$sig: exit $rc after $took s, $left process(es) and $locks lock/tmp file(s) left" >&2
        tail -5 "$d.log" >&2; fail=1
    fi
    "$bmrs" grid run "$tmp/grid.yaml" --out "$d" >"$d.rerun.log" 2>&1 || { echo "check-workers: FAILED: rerun after SIG$sig" >&2; fail=1; }
    if cmp -s "$d/results/runs.csv" "$tmp/g1/results/runs.csv"; then echo "check-workers: SIG$sig: the rerun gives the uninterrupted summary"
    else echo "check-workers: FAILED: runs.csv after SIG$sig and rerun differs from an uninterrupted run" >&2; fail=1; fi
done

# kill -9 of the whole process group at ten random moments, then a rerun: the same
# runs.csv as an uninterrupted run.
d="$tmp/kill9"
for i in $(seq 10); do
    setsid "$bmrs" grid run "$tmp/grid.yaml" --jobs 2 --out "$d" >>"$d.log" 2>&1 &
    leader=$!
    sleep "$(python3 -c "import random; print(round(random.uniform(0.3, 2.5), 2))")"
    kill -9 -- -"$leader" 2>/dev/null || true
    wait "$leader" 2>/dev/null || true
    pkill -9 -f -- "$d" 2>/dev/null || true
done
"$bmrs" grid run "$tmp/grid.yaml" --out "$d" >>"$d.log" 2>&1 || { echo "check-workers: FAILED: rerun after kill -9" >&2; fail=1; }
if cmp -s "$d/results/runs.csv" "$tmp/g1/results/runs.csv"; then echo "check-workers: kill -9 at 10 random moments, then a rerun: the uninterrupted summary"
else echo "check-workers: FAILED: runs.csv after kill -9 and rerun differs" >&2; fail=1; fi

exit $fail
