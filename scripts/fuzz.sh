#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (once, incrementally, in .build-fuzz/) and runs one of them
# or all of them for SECONDS each. Fuzz/README.md says what each target checks.
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     default: all, 60 seconds each
#   scripts/fuzz.sh --list                     the targets
#   scripts/fuzz.sh --build                    build only
#
# The committed seeds (Fuzz/Corpus/<target>/) are only read; what the fuzzer finds goes to the
# git-ignored working corpus Fuzz/.work/corpus/<target>/, which later runs start from. A crash, an
# invariant violation, a timeout or running out of memory saves the input under
# Fuzz/.work/crashes/<target>/, prints its path and makes the script exit 1 (after the remaining
# targets ran). Reproduce one with:  .build-fuzz/release/<target> <file>
#
# Environment: FUZZ_ARGS adds libFuzzer options to every run (e.g. FUZZ_ARGS=-use_value_profile=1),
# FUZZ_QUIET=1 prints only the summary line per target (not libFuzzer's start and end lines).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-fuzz
work=Fuzz/.work
targets=()
for directory in Fuzz/Targets/*/; do targets+=("$(basename "$directory")"); done

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-all}" in
    --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
esac
build_only=0
if [ "${1:-}" = "--build" ]; then build_only=1; set -- all; fi

selection="${1:-all}"
seconds="${2:-60}"
if [ "$selection" = "all" ]; then
    selected=("${targets[@]}")
else
    found=0
    for target in "${targets[@]}"; do [ "$target" = "$selection" ] && found=1; done
    if [ "$found" -eq 0 ]; then
        echo "unknown target: $selection (scripts/fuzz.sh --list)" >&2
        exit 2
    fi
    selected=("$selection")
fi
case "$seconds" in ''|*[!0-9]*) echo "SECONDS must be a whole number, not: $seconds" >&2; exit 2 ;; esac

# What the build needs from Debian (the same headers as the gateway's build; the fuzzer and
# sanitizer runtimes and lld come with the Swift toolchain).
scripts/install-packages.sh libssl-dev zlib1g-dev

# One build for every target: SwiftPM rebuilds only what changed. The sanitizer runtime's
# "Cannot export local symbol" notes (one per link) are noise and kept out of the output.
echo "building the fuzz targets (scratch path $scratch)"
build_started=$SECONDS
mkdir -p "$scratch"
set +e
swift build --package-path Fuzz --scratch-path "$scratch" -c release > "$scratch/fuzz-build.log" 2>&1
build_status=$?
set -e
if [ "$build_status" -ne 0 ]; then
    grep -v "Cannot export local symbol" "$scratch/fuzz-build.log" >&2
    echo "the fuzz build failed (exit $build_status)" >&2
    exit 1
fi
echo "built in $((SECONDS - build_started)) s"
[ "$build_only" -eq 1 ] && exit 0

# The Swift runtime's crash reporter would take the fatal signal before libFuzzer can save the
# input; LeakSanitizer reports the targets' one-time set-up (keys, lazy globals) as leaks at exit.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:symbolize=1:${ASAN_OPTIONS:-}"
symbolizer=$(command -v llvm-symbolizer || true)
[ -z "$symbolizer" ] && [ -x "$(dirname "$(command -v swift)")/llvm-symbolizer" ] && symbolizer="$(dirname "$(command -v swift)")/llvm-symbolizer"
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

failed=()
printf '%-26s %8s %12s %8s %8s %8s  %s\n' target seconds executions cov ft corpus result
for target in "${selected[@]}"; do
    corpus="$work/corpus/$target"
    crashes="$work/crashes/$target"
    log="$work/logs/$target.log"
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    seeds="Fuzz/Corpus/$target"
    mkdir -p "$seeds"
    dictionary=()
    [ -f "Fuzz/Dictionaries/$target.dict" ] && dictionary=(-dict="Fuzz/Dictionaries/$target.dict")
    marker=$(mktemp)
    started=$SECONDS
    set +e
    # shellcheck disable=SC2086
    "$scratch/release/$target" "$corpus" "$seeds" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096 \
        -artifact_prefix="$crashes/" -print_final_stats=1 -detect_leaks=0 \
        "${dictionary[@]}" ${FUZZ_ARGS:-} > "$log" 2>&1
    status=$?
    set -e
    elapsed=$((SECONDS - started))
    [ "${FUZZ_QUIET:-0}" = "1" ] || grep -E "^#[0-9]+ +(INITED|DONE)|ERROR|INVARIANT|SUMMARY" "$log" | sed "s/^/  [$target] /" || true
    last=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)
    executions=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
    cov=$(echo "$last" | grep -o "cov: [0-9]*" | grep -o "[0-9]*" || echo "?")
    ft=$(echo "$last" | grep -o "ft: [0-9]*" | grep -o "[0-9]*" || echo "?")
    entries=$(find "$corpus" -type f | wc -l)
    artifact=$(find "$crashes" -type f -newer "$marker" | head -1)
    rm -f "$marker"
    if [ "$status" -ne 0 ] || [ -n "$artifact" ]; then
        result="FAILED (exit $status)"
        failed+=("$target")
    else
        result=ok
    fi
    printf '%-26s %8s %12s %8s %8s %8s  %s\n' "$target" "$elapsed" "${executions:-?}" "${cov:-?}" "${ft:-?}" "$entries" "$result"
    if [ "$result" != ok ]; then
        grep -E "INVARIANT|ERROR|SUMMARY|Fatal error|#[0-9]+ 0x" "$log" | head -30 | sed 's/^/    /' >&2 || true
        [ -n "$artifact" ] && echo "    crashing input: $artifact (reproduce: $scratch/release/$target $artifact)" >&2
        echo "    log: $log" >&2
    fi
done

if ((${#failed[@]})); then
    echo "fuzzing failed: ${failed[*]}" >&2
    exit 1
fi
