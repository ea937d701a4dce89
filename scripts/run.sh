#!/usr/bin/env bash
# The main job on the embedded default data: installs what is needed, builds, trains
# the MLP on Fashion-MNIST (Debian package) and prints its result table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BMRS_DATA_DIR="${BMRS_DATA_DIR:-$PWD/data}"
swift build -c release 2>&1 | grep -E "error|warning:|Build complete" | tail -2
.build/release/bmrs train --dataset fashion-mnist --network mlp --epochs "${EPOCHS:-10}" --out reports/runs/mlp-fashion-mnist "$@"
