#!/usr/bin/env bash
# Issue 12 through the command line, as a user runs it on models trained with the authors'
# code (the committed fixtures of Tests/ModelImportTests): export and re-import give the same
# scores; `compact --format safetensors` writes the network and its architecture; `report
# --models` finds the authors' metrics file (<seed>.json) and reports both models; `sweep
# --start-model` records the model and reuses its units when rerun, never another model's.
# Usage: scripts/check-models.sh BMRS_BINARY   (the sweep step needs Fashion-MNIST; fails loudly)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: scripts/check-models.sh BMRS_BINARY" >&2; exit 2; }
bmrs=$1
fixtures=Tests/ModelImportTests/Fixtures
tmp=$(mktemp -d /tmp/bmrs-models.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-models: $*" >&2; exit 1; }

mkdir -p "$tmp/models/metrics"
cp "$fixtures/mlp.pth" "$tmp/models/fashion_mnist_mlp_1000.pth"
echo '{"compression": 16.666666, "val_acc": 0.1, "val_top5_acc": 0.5, "test_acc": 0.1, "test_top5_acc": 0.1}' > "$tmp/models/metrics/1000.json"
cp "$fixtures/lenet5_deflated.pth" "$tmp/models/lenet5.pth"

# Export → import: the same scores, structure for structure.
for format in pth safetensors; do
    "$bmrs" export "$tmp/models/lenet5.pth" --format $format --out "$tmp/again.$format" >/dev/null 2>&1
    "$bmrs" scores --checkpoint "$tmp/again.$format" > "$tmp/again-$format.json" 2>/dev/null
done
"$bmrs" scores --checkpoint "$tmp/models/lenet5.pth" > "$tmp/original.json" 2>/dev/null
cmp -s "$tmp/original.json" "$tmp/again-pth.json" || fail "scores of the exported .pth differ from the original's"
cmp -s "$tmp/original.json" "$tmp/again-safetensors.json" || fail "scores of the exported safetensors differ from the original's"

# The compacted network and its architecture (MNIST is not installed offline: sizes only, no timing).
"$bmrs" compact "$tmp/models/lenet5.pth" --format safetensors --dataset mnist --data-dir "$tmp/no-data" \
    --out "$tmp/small.safetensors" >/dev/null 2>&1 || fail "compact --format safetensors failed"
grep -q '"kind" : "conv2d"' "$tmp/small.architecture.json" || fail "no architecture beside the compacted network"

# The report over the folder.
"$bmrs" report --models "$tmp/models" --out "$tmp/report" --dpi 50 >/dev/null 2>&1 || fail "report --models failed"
for f in report.md models.csv models.json fashion_mnist_mlp_1000-correlation.png lenet5-correlation.png; do
    [ -s "$tmp/report/$f" ] || fail "report --models wrote no $f"
done
grep -q '| fashion\\_mnist\\_mlp\\_1000.pth | MLP(C=1, H=8, D=2) | 16.6667 | 0.1 | 0.1 | 4/24' "$tmp/report/report.md" \
    || fail "report.md lacks the MLP's row with its metrics (metrics/1000.json) and stored mask"

# Curves from the given model, resumed without recomputing anything.
args=(--start-model "$tmp/models/fashion_mnist_mlp_1000.pth" --levels 2 --criteria snr --train-limit 64 --out "$tmp/sweep")
"$bmrs" sweep "${args[@]}" > "$tmp/sweep1.txt" 2>&1 || { cat "$tmp/sweep1.txt" >&2; fail "sweep --start-model failed"; }
"$bmrs" sweep "${args[@]}" > "$tmp/sweep2.txt" 2>&1 || fail "rerun of sweep --start-model failed"
grep -q "0 units computed" "$tmp/sweep2.txt" || fail "the rerun computed units again: $(grep 'units computed' "$tmp/sweep2.txt")"
grep -q "$(md5sum "$tmp/models/fashion_mnist_mlp_1000.pth" | cut -d' ' -f1)" "$tmp"/sweep/models/*/start-model.json \
    || fail "start-model.json does not hold the model's MD5"
echo "check-models: export round trip, compact --format safetensors, report --models and sweep --start-model OK"
