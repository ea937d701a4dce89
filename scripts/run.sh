#!/usr/bin/env bash
# The main job on the embedded default data: installs what is needed, builds, runs (or
# reuses) the `quick` grid on Fashion-MNIST (Debian package) with two worker processes,
# and writes reports/quick/ (tables, figures, report.md). Extra arguments go to
# `bmrs report` (e.g. --dpi 300).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BMRS_DATA_DIR="${BMRS_DATA_DIR:-$PWD/data}"
swift build -c release 2>&1 | grep -E "error|warning:|Build complete" | tail -2
.build/release/bmrs report --profile quick --jobs "${JOBS:-2}" "$@"
