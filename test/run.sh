#!/bin/sh
# Run every test binary given as an argument and end with one summary line
# in Check's own format, totalled over all binaries:
#     100%: Checks: N, Failures: F, Errors: E
# FUTURL_VALGRIND=1 runs each binary under valgrind memcheck (no fork, and a
# longer per-test timeout); any valgrind error or leak fails the run.
set -u
checks=0 fails=0 errs=0 bad=""
: "${CK_TIMEOUT_MULTIPLIER:=1}"
vg=""
if [ "${FUTURL_VALGRIND:-0}" = 1 ]; then
    export CK_FORK=no
    CK_TIMEOUT_MULTIPLIER=10
    vg="valgrind -q --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
        --suppressions=test/valgrind.supp"
fi
case "${BUILD:-}" in asan|tsan) CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER_SAN:-4} ;; esac
# ASan: libcurl's own rare leak is suppressed, and only that (test/lsan.supp).
[ "${BUILD:-}" = asan ] &&
    export LSAN_OPTIONS="suppressions=$(pwd)/test/lsan.supp print_suppressions=0 ${LSAN_OPTIONS:-}"
export CK_TIMEOUT_MULTIPLIER
out=$(mktemp)
for t in "$@"; do
    echo "== $(basename "$t")"
    $vg "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        errs=$((errs + 1)); bad="$bad $(basename "$t")(no summary, exit $rc)"; continue
    fi
    n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    checks=$((checks + n)); fails=$((fails + f)); errs=$((errs + e))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$e" -eq 0 ]; then
        errs=$((errs + 1)); bad="$bad $(basename "$t")(exit $rc)"
    fi
done
rm -f "$out"
[ -n "$bad" ] && echo "failed binaries:$bad"
pass=$((checks - fails - errs)); [ "$pass" -lt 0 ] && pass=0
pct=100; [ "$checks" -gt 0 ] && pct=$((pass * 100 / checks))
echo "All tests: $pct%: Checks: $checks, Failures: $fails, Errors: $errs"
[ "$fails" -eq 0 ] && [ "$errs" -eq 0 ] && [ "$checks" -gt 0 ]
