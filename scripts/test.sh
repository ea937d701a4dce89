#!/usr/bin/env bash
# The test command: installs what is needed, runs the unit tests, then the release-build
# checks on real data (accuracy after one epoch on Fashion-MNIST) and the Slurm
# end-to-end test (it installs slurm and munge from Debian and runs them on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BMRS_DATA_DIR="${BMRS_DATA_DIR:-$PWD/data}"

echo "== unit tests (swift test)"
swift test 2>&1 | tee .build-test.log | grep -E "✘|error:|Test run with|Executed" || true
grep -q "Test run with .* passed" .build-test.log || { echo "unit tests FAILED (see .build-test.log)" >&2; exit 1; }
! grep -q "✘" .build-test.log || { echo "unit tests FAILED (see .build-test.log)" >&2; exit 1; }

echo "== release build"
swift build -c release 2>&1 | grep -E "error|warning:|Compiling|Build complete" | tail -3
scripts/check-accuracy.sh .build/release/bmrs

echo "== worker processes (exactly --jobs; none left behind)"
scripts/check-workers.sh .build/release/bmrs

echo "== Slurm end-to-end (single-node Slurm on loopback)"
scripts/slurm-e2e.sh .build/release/bmrs
echo "all checks passed"
