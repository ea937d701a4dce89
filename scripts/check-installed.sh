#!/usr/bin/env bash
# Issue 16, item 5: an installed binary works anywhere. Given a bmrs built outside the
# repository (`swift build -c release --scratch-path /tmp/elsewhere`, as scripts/test.sh
# builds it), `bmrs report --from GRID` run from /tmp, with no templates/ above it or
# beside the binary, writes the full report from the templates built into the binary:
# the same files as the same binary given the repository's templates/, byte for byte
# (PDFs but their creation date). `grid run --emit-slurm` passes the templates folder it
# finds to the merge job, and none when it finds none (the job then uses the built-in ones).
# Usage: scripts/check-installed.sh BMRS_BINARY   (needs Fashion-MNIST; fails loudly)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ $# -eq 1 ] || { echo "usage: scripts/check-installed.sh BMRS_BINARY" >&2; exit 2; }
bmrs="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$bmrs" ] || { echo "check-installed: $bmrs not found" >&2; exit 1; }
case "$bmrs" in
    "$repo"/*) echo "check-installed: $bmrs is inside the repository; build it with --scratch-path outside" >&2; exit 1 ;;
esac
# The lookup walks up from the working directory and from the binary: neither may reach a
# templates/ folder, or this would not test the built-in templates.
for d in /tmp "$(dirname "$bmrs")"; do
    while :; do
        [ -e "$d/templates" ] && { echo "check-installed: $d/templates exists; the built-in templates would not be used" >&2; exit 1; }
        [ "$d" = / ] && break
        d=$(dirname "$d")
    done
done
tmp=$(mktemp -d /tmp/bmrs-installed.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/grid.yaml" <<YAML
name: installed
datasets: [fashion-mnist]
networks: [{kind: mlp, hidden: 8, depth: 1}]
methods: [none, snr, bmrs-n]
seeds: [1, 2]
epochs: 1
finetune_epochs: 1
train_limit: 1000
validation_limit: 200
curves: {levels: 3, criteria: [snr, bmrs-n], finetune_epochs: 1, train_epochs: 1}
YAML
"$bmrs" grid run "$tmp/grid.yaml" --out "$tmp/grid" --jobs 2 >"$tmp/grid.log" 2>&1 \
    || { echo "check-installed: FAILED: grid run" >&2; tail -20 "$tmp/grid.log" >&2; exit 1; }

fail=0
(cd /tmp && "$bmrs" report --from "$tmp/grid" --out "$tmp/installed" >"$tmp/installed.log" 2>&1) \
    || { echo "check-installed: FAILED: report from /tmp:" >&2; tail -5 "$tmp/installed.log" >&2; exit 1; }
"$bmrs" report --from "$tmp/grid" --out "$tmp/repository" --templates "$repo/templates" >"$tmp/repository.log" 2>&1 \
    || { echo "check-installed: FAILED: report with --templates templates/:" >&2; tail -5 "$tmp/repository.log" >&2; exit 1; }
expected=$(cd "$tmp/repository" && ls | sort)
if [ "$(cd "$tmp/installed" && ls | sort)" != "$expected" ] || ! grep -q "correlation.png" <<<"$expected"; then
    echo "check-installed: FAILED: the report from /tmp has other files than with templates/:" >&2
    diff <(cd "$tmp/repository" && ls | sort) <(cd "$tmp/installed" && ls | sort) >&2 || true
    fail=1
fi
for f in $expected; do
    case "$f" in
        *.pdf) cmp -s <(sed '/CreationDate/d' "$tmp/repository/$f") <(sed '/CreationDate/d' "$tmp/installed/$f") ;;
        *) cmp -s "$tmp/repository/$f" "$tmp/installed/$f" ;;
    esac || { echo "check-installed: FAILED: $f differs between the built-in templates and templates/" >&2; fail=1; }
done
[ $fail = 0 ] && echo "check-installed: report --from run in /tmp wrote the full report ($(wc -w <<<"$expected") files, identical to templates/'s)"

# The merge job of --emit-slurm names the templates folder found when it was written.
(cd /tmp && "$bmrs" grid run "$tmp/grid.yaml" --out "$tmp/grid" --emit-slurm "$tmp/slurm-tmp") >/dev/null
"$bmrs" grid run "$tmp/grid.yaml" --out "$tmp/grid" --emit-slurm "$tmp/slurm-repo" >/dev/null
if grep -q -- "--templates" "$tmp/slurm-tmp/merge.sbatch"; then
    echo "check-installed: FAILED: emitted from /tmp, the merge job names a templates folder:" >&2; grep report "$tmp/slurm-tmp/merge.sbatch" >&2; fail=1
elif ! grep -q -- "--templates '$repo/templates'" "$tmp/slurm-repo/merge.sbatch"; then
    echo "check-installed: FAILED: emitted from the repository, the merge job does not pass $repo/templates:" >&2
    grep report "$tmp/slurm-repo/merge.sbatch" >&2; fail=1
else
    echo "check-installed: --emit-slurm passes the templates folder it found (the repository's), and none from /tmp"
fi
exit $fail
