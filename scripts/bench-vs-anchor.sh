#!/usr/bin/env bash
# Release-mode speed comparison: `bmrs bench` and the PyTorch CPU anchor
# (../shared/bench/torch_anchor.py), alternated ROUNDS times on the same machine at
# 1 thread, printing seconds per training epoch (48,000 Fashion-MNIST images, batch 32)
# and the anchor/bmrs ratio per round. Needs python3-torch (Debian) for the anchor.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-2}"
anchor="${ANCHOR:-../shared/bench/torch_anchor.py}"
[ -f "$anchor" ] || { echo "bench-vs-anchor: anchor not found at $anchor (set ANCHOR=)" >&2; exit 1; }
swift build -c release 2>&1 | grep -E "error|Build complete" | tail -1
for net in ${NETWORKS:-mlp lenet5}; do
    for r in $(seq "$rounds"); do
        ours=$(.build/release/bmrs bench --networks "$net" --threads 1 --json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['epoch_seconds'])")
        theirs=$(/usr/bin/python3 "$anchor" 1 "$net" 48000 1 | python3 -c "import json,sys; print(json.load(sys.stdin)['epoch_s'][0])")
        python3 -c "import sys; o,t=map(float,sys.argv[1:]); print(f'$net round $r: bmrs {o:.3f} s/epoch, anchor {t:.3f} s/epoch, ratio {t/o:.1f}x')" "$ours" "$theirs"
    done
done
