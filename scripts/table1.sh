#!/usr/bin/env bash
# The paper's Table 1 protocol for one network on Fashion-MNIST (SPEC §5): 50 epochs +
# 10 fine-tune, batch 32, lr 1e-3, KL mean, compress every epoch, every method incl.
# plain/none, L2 and E[θ] with fixed thresholds and matched to BMRS_N, for each seed and
# protocol. Resumable: a run whose run.json exists is skipped. Two runs at a time.
#   usage: scripts/table1.sh NETWORK OUT_DIR "SEEDS" "PROTOCOLS"
#   e.g.   scripts/table1.sh mlp runs/table1 "100 1000 1001" "released standard"
set -euo pipefail
cd "$(dirname "$0")/.."
net="${1:-mlp}"; out="${2:-runs/table1}"; seeds="${3:-100 1000 1001}"; protocols="${4:-released standard}"
jobs="${JOBS:-2}"; epochs="${EPOCHS:-50}"; finetune="${FINETUNE:-10}"
# Run a private copy of the binary so that rebuilding during the grid changes nothing.
swift build -c release 2>&1 | grep -E "error|Build complete" | tail -1
mkdir -p "$out"
bmrs="$out/bmrs"
[ -x "$bmrs" ] || cp .build/release/bmrs "$bmrs"
run() {  # protocol seed method [extra args…]
    local protocol=$1 seed=$2 method=$3; shift 3
    local name=$method; [[ " $* " == *" --match-record "* ]] && name="$method-matched"
    local dir="$out/$protocol/$net/$name/seed-$seed"
    [ -f "$dir/run.json" ] && return 0
    mkdir -p "$dir"
    "$bmrs" train --network "$net" --method "$method" --seed "$seed" --epochs "$epochs" \
        --finetune-epochs "$finetune" --protocol "$protocol" --out "$dir" "$@" > "$dir/log.txt" 2>&1 \
        || { echo "FAILED: $dir (see $dir/log.txt)" >&2; return 1; }
    echo "done: $dir"
}
export -f run; export bmrs net out epochs finetune
# Phase 1: everything that does not depend on BMRS_N's record.
for p in $protocols; do for s in $seeds; do for m in bmrs-n plain none l2 etheta snr bmrs-u-8 bmrs-u-4; do
    echo "$p $s $m"; done; done; done | xargs -P "$jobs" -L 1 bash -c 'run "$@"' _
# Phase 2: L2 and E[θ] matched to BMRS_N's neuron compression of the same seed and protocol.
for p in $protocols; do for s in $seeds; do for m in l2 etheta; do
    echo "$p $s $m --match-record $out/$p/$net/bmrs-n/seed-$s/run.json"; done; done; done | xargs -P "$jobs" -L 1 bash -c 'run "$@"' _
