#!/bin/sh
# test/fuzz/run.sh SECONDS JOBS TARGET... — run each libFuzzer target for
# SECONDS on a fresh copy of its seed corpus (test/fuzz/corpus/NAME; the
# repo's copy never grows), JOBS targets at a time, with its dictionary
# (test/fuzz/NAME.dict) if it has one. Prints the executions of each and
# fails if any target failed (a crash, a broken property, a leak, a
# timeout); the failing input and the log stay in build/fuzz/run/NAME/.
set -u
secs=$1 jobs=$2
shift 2
root=build/fuzz/run

run_one() {
    name=$(basename "$1")
    dir=$root/$name
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    if [ -d "test/fuzz/corpus/$name" ]; then
        cp test/fuzz/corpus/"$name"/* "$dir/corpus/" 2>/dev/null
    fi
    dict=""
    [ -f "test/fuzz/$name.dict" ] && dict="-dict=test/fuzz/$name.dict"
    # shellcheck disable=SC2086 # $dict is one word or none
    "$1" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/" $dict "$dir/corpus" >"$dir/log" 2>&1
    echo $? >"$dir/rc"
}

echo "== fuzzing $# targets, $secs s each, $jobs at a time"
running=0
for t in "$@"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

failed=""
for t in "$@"; do
    name=$(basename "$t")
    dir=$root/$name
    rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
    files=$(ls "$dir/corpus" | wc -l)
    if [ "$rc" -eq 0 ]; then
        printf '%-24s %10s executions, corpus %s inputs: ok\n' "$name" "${execs:-?}" "$files"
    else
        printf '%-24s %10s executions: FAILED (exit %s)\n' "$name" "${execs:-?}" "$rc"
        grep -E 'property failed|ERROR: |SUMMARY: |runtime error' "$dir/log" | head -n 8
        ls "$dir" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | sed "s|^|  input: $dir/|"
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed (logs in $root/)"
    exit 1
fi
echo "fuzz: all $# targets passed"
