#!/bin/sh
# examples/demo.sh — `make demo`: start the local httpbin on a free loopback
# port, run a short tour of the examples against it, and finish with the
# headline comparison: N slow requests one after another versus on the
# pool. The server is stopped on every exit path, failure and Ctrl-C
# included.
#
# usage: demo.sh BINDIR [N]     (BINDIR holds the built examples; N = 5)
#
# No `set -e`: with it, dash skips the EXIT trap when a signal arrives
# while a child runs, which would leave the server behind. Every step that
# can fail is checked by hand instead.
set -u
bindir=$1
n=${2:-5}
srcdir=$(dirname "$0")
py=/usr/bin/python3 # Debian's, which has httpbin (see serve.sh)

# libcurl, like most HTTP clients, honours http_proxy from the environment;
# the tour talks only to loopback, so make sure no proxy sits in between.
no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export no_proxy

# A free port: bind port 0 and let the kernel choose. Another process could
# take it before gunicorn binds it; start-up then fails and says so.
port=$($py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
    { echo "demo: $py cannot find a free port" >&2; exit 1; }
url="http://127.0.0.1:$port"
log=$(mktemp "${TMPDIR:-/tmp}/futurl-demo.XXXXXX") || exit 1
pid=""

stop_server() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do # at most 5 s
            sleep 0.1
            i=$((i + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    pid=""
    rm -f "$log"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE # output closed (`make demo | head`)

# The same server as serve.sh, in the background.
$py -I /usr/bin/gunicorn --bind "127.0.0.1:$port" --worker-class gthread \
    --workers 1 --threads 32 --keep-alive 5 --graceful-timeout 1 \
    --log-level warning httpbin:app >"$log" 2>&1 &
pid=$!

# Ready when /get answers (asked directly: no proxy from the environment);
# give up after 15 s.
probe='import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=1)'
i=0
until $py -c "$probe" "$url/get" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 150 ]; then
        echo "demo: httpbin did not start on $url:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
echo "demo: local httpbin on $url"

# Run one example, headed by the first line of its teaching comment.
run() {
    name=$1
    shift
    echo
    echo "== $(sed -n '2s/^ \* //p' "$srcdir/$name.c")"
    echo "\$ $bindir/$name $*"
    "$bindir/$name" "$@" || { echo "demo: $name failed" >&2; exit 1; }
}

run hello "$url"
run gather "$url"
run as_completed "$url"
run callbacks "$url"
run sync_vs_pool "$url" "$n"
echo
echo "demo: done. More in examples/; run any of them against \`make serve\`."
