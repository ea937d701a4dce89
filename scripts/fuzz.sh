#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader of untrusted files (libFuzzer, swiftc
# -sanitize=fuzzer,address). One target per reader, entry points in Tests/Fuzz/<Target>/,
# seed corpora in Tests/Fuzz/Corpus/<Target>/ (small files made from real ones and the
# test fixtures). A crash is a Swift trap (precondition, out-of-bounds index, integer
# overflow, force unwrap), an AddressSanitizer report, a hang or running out of memory:
# bad input must give a thrown error instead.
#
#   scripts/fuzz.sh smoke                  each target for $BMRS_FUZZ_SMOKE_SECONDS (default 8) s;
#                                          skips with a message, exit 0, where the toolchain
#                                          cannot link -sanitize=fuzzer
#   scripts/fuzz.sh long SECONDS [TARGET]  each target (or one) for SECONDS s
#   scripts/fuzz.sh run TARGET [ARGS...]   the target's binary with libFuzzer ARGS, e.g. a
#                                          crash file to reproduce it
#   scripts/fuzz.sh build [TARGET...] | list   (build links only the targets named, default all)
#
# The library targets are built by SwiftPM in a scratch path of their own ($BMRS_FUZZ_BUILD/spm,
# default /tmp/fuzz-build: never the main .build), instrumented and with -enable-testing;
# each entry point is compiled by swiftc against their modules and linked with their
# objects. Package.swift is not touched, so `swift build`/`swift test` do not see the fuzz
# targets. Working corpora (what the fuzzer adds to the seeds), logs and crash files stay
# under $BMRS_FUZZ_BUILD; the committed seeds are only read.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BMRS_FUZZ_BUILD:-/tmp/fuzz-build}
CONFIG=${BMRS_FUZZ_CONFIG:-release}
SMOKE_SECONDS=${BMRS_FUZZ_SMOKE_SECONDS:-8}
TARGETS=(IDX Gzip CIFAR10 MNIST5k Checkpoint TrainerState GridConfig RunRecord SweepUnit TorchStateDict Safetensors Npz)
# Objects linked into every fuzz binary (static objects of the library targets and Yams).
BUILT_MODULES=(Experiments ModelImport)
LINKED_MODULES=(FileOutput SeededRandom Datasets NoiseStatistics NeuralCore BayesianPruning Analysis Experiments ModelImport Yams CYaml)

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# True when swiftc can build and link a libFuzzer binary with AddressSanitizer here.
toolchain_has_fuzzer() {
  mkdir -p "$BUILD/probe"
  cat > "$BUILD/probe/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput")
public func probe(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }
EOF
  swiftc -sanitize=fuzzer,address -parse-as-library "$BUILD/probe/probe.swift" -o "$BUILD/probe/probe" \
    >"$BUILD/probe/log" 2>&1
}

# Builds the libraries, then links the fuzz binaries of the targets given (default: all).
build() {
  local bin="$BUILD/bin/$CONFIG" module linked=("$@")
  [ ${#linked[@]} -gt 0 ] || linked=("${TARGETS[@]}")
  mkdir -p "$bin"
  # The sanitizers are one swiftc flag, not SwiftPM's `--sanitize fuzzer --sanitize
  # address`: SwiftPM passes those as two -sanitize= flags in a random order, of which
  # swiftc applies only the last (seen: libraries without ASan, or without coverage,
  # depending on the build), and as the order changes whenever SwiftPM re-plans (a switch
  # of --target, a file added), every re-plan recompiled everything (~3 min on 2 cores).
  # With the one flag, the two --target builds share one scratch path incrementally.
  for module in "${BUILT_MODULES[@]}"; do
    local spm="$BUILD/spm" status=0
    echo "fuzz: building $module ($CONFIG, instrumented) in $spm"
    swift build --scratch-path "$spm" -c "$CONFIG" -Xswiftc -sanitize=fuzzer,address \
      -Xswiftc -enable-testing --target "$module" >"$BUILD/build-$module.log" 2>&1 || status=$?
    grep -E "error|warning: unre|Build complete" "$BUILD/build-$module.log" | grep -v "^\[" | tail -2 || true
    [ "$status" -eq 0 ] || { echo "fuzz: library build failed (log $BUILD/build-$module.log)" >&2; exit 1; }
    # Both instrumentations must be in the module's objects (coverage for the fuzzer's
    # guidance, AddressSanitizer for its checks).
    local sample symbols
    sample=$(ls -S "$spm/$CONFIG/$module.build/"*.o | head -1)
    symbols=$(nm "$sample")
    [[ "$symbols" == *__sancov_gen_* && "$symbols" == *__asan_* ]] ||
      { echo "fuzz: $sample lacks coverage or AddressSanitizer instrumentation" >&2; exit 1; }
  done
  local products="$BUILD/spm/$CONFIG" objects=()
  for module in "${LINKED_MODULES[@]}"; do
    objects+=($(find "$products/$module.build" -name '*.o' | sort))
  done
  local modulemaps=(-Xcc "-fmodule-map-file=$ROOT/Sources/CZlib/module.modulemap"
                    -Xcc "-fmodule-map-file=$ROOT/Sources/CBLAS/module.modulemap")
  local cyaml
  cyaml=$(find "$products/CYaml.build" "$BUILD/spm/checkouts/Yams/Sources/CYaml" -name module.modulemap 2>/dev/null | head -1)
  [ -n "$cyaml" ] && modulemaps+=(-Xcc "-fmodule-map-file=$cyaml")
  local optimization=-O
  [ "$CONFIG" = debug ] && optimization=-Onone
  local blas_flags
  blas_flags=$(pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
  for target in "${linked[@]}"; do
    local out="$bin/fuzz-$target" sources=("$ROOT"/Tests/Fuzz/"$target"/*.swift "$ROOT"/Tests/Fuzz/Shared/*.swift)
    if [ -x "$out" ] && [ -z "$(find "${sources[@]}" "${objects[@]}" -newer "$out" 2>/dev/null | head -1)" ]; then continue; fi
    echo "fuzz: linking fuzz-$target"
    local link_status=0
    swiftc -sanitize=fuzzer,address -parse-as-library $optimization -swift-version 6 \
      -I "$products/Modules" -I "$products" "${modulemaps[@]}" \
      "${sources[@]}" "${objects[@]}" $blas_flags -lz -o "$out" >"$bin/link-$target.log" 2>&1 || link_status=$?
    # gold warns about every ASan assembly symbol it cannot export: noise, left out.
    grep -v "warning: Cannot export local symbol '__asan" "$bin/link-$target.log" || true
    [ "$link_status" -eq 0 ] || { echo "fuzz: linking fuzz-$target failed" >&2; exit 1; }
  done
}

# Runs one target for $2 seconds; prints executions and whether it crashed.
run_target() {
  local target=$1 seconds=$2 bin="$BUILD/bin/$CONFIG/fuzz-$target"
  local corpus="$BUILD/corpus/$target" artifacts="$BUILD/artifacts/$target/" log="$BUILD/logs/$target.log"
  local scratch="$BUILD/scratch/$target"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")" "$scratch"
  local dict=() status=0
  [ -f "$ROOT/Tests/Fuzz/$target/$target.dict" ] && dict=(-dict="$ROOT/Tests/Fuzz/$target/$target.dict")
  local start=$SECONDS
  # SWIFT_BACKTRACE=enable=no: Swift's own crash backtracer reads the stack of the crashed
  # thread with memcpy, which AddressSanitizer reports as a stack-buffer-underflow or an
  # "unknown-crash" on top of the real failure (a Swift trap); without it, libFuzzer's
  # "deadly signal" report gives the trap's symbolized stack.
  SWIFT_BACKTRACE=enable=no BMRS_FUZZ_SCRATCH="$scratch" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 \
    "$bin" "$corpus" "$ROOT/Tests/Fuzz/Corpus/$target" "${dict[@]}" -max_total_time="$seconds" \
      -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
      -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  rm -rf "$scratch"
  local executions
  executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ "$status" -ne 0 ]; then
    local crash
    crash=$(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')
    echo "fuzz $target: CRASH after $((SECONDS - start)) s: input ${crash:-(none written)}; log $log"
    grep -E "Fatal error|fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY" "$log" | head -3 | sed 's/^/    /'
    return 1
  fi
  printf 'fuzz %-15s %9s executions in %3d s, corpus %d files, no crash\n' "$target" "$executions" \
    "$((SECONDS - start))" "$(ls "$corpus" "$ROOT/Tests/Fuzz/Corpus/$target" | grep -vc ':$\|^$')"
}

run_all() {
  local seconds=$1; shift
  local failed=0 target
  for target in "$@"; do run_target "$target" "$seconds" || failed=1; done
  [ "$failed" -eq 0 ] || { echo "fuzz: crashes found (inputs under $BUILD/artifacts/)" >&2; exit 1; }
}

known_target() { local t; for t in "${TARGETS[@]}"; do [ "$t" = "$1" ] && return 0; done; echo "unknown target $1 (one of: ${TARGETS[*]})" >&2; exit 2; }

case "${1:-}" in
  list) printf '%s\n' "${TARGETS[@]}" ;;
  build) shift; build "$@" ;;
  smoke)
    if ! toolchain_has_fuzzer; then
      echo "fuzz smoke SKIPPED: this Swift toolchain cannot link -sanitize=fuzzer,address (no libFuzzer/ASan runtime; see $BUILD/probe/log)"
      exit 0
    fi
    build
    run_all "$SMOKE_SECONDS" "${TARGETS[@]}" ;;
  long)
    [ $# -ge 2 ] || usage
    toolchain_has_fuzzer || { echo "fuzz: this Swift toolchain cannot link -sanitize=fuzzer,address (see $BUILD/probe/log)" >&2; exit 1; }
    seconds=$2
    if [ $# -ge 3 ]; then known_target "$3"; selected=("$3"); else selected=("${TARGETS[@]}"); fi
    build "${selected[@]}"
    run_all "$seconds" "${selected[@]}" ;;
  run)
    [ $# -ge 2 ] || usage
    known_target "$2"
    build "$2"
    mkdir -p "$BUILD/scratch/run"
    SWIFT_BACKTRACE=enable=no BMRS_FUZZ_SCRATCH="$BUILD/scratch/run" ASAN_OPTIONS=detect_leaks=0 "$BUILD/bin/$CONFIG/fuzz-$2" -detect_leaks=0 "${@:3}" ;;
  *) usage ;;
esac
