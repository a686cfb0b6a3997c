#!/bin/sh
# Make sure the Debian packages named as arguments are installed, and that
# cJSON carries the 2023 security fixes (1.7.15-1+deb12u3 or later).
# As root: installs what is missing with apt-get. Otherwise: prints the
# exact command to run and fails.
set -e
missing=""
for p in "$@"; do
    s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$s" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
cjson_ok() {
    v=$(dpkg-query -W -f='${Version}' libcjson1 2>/dev/null) || return 1
    dpkg --compare-versions "$v" ge "1.7.15-1+deb12u3"
}
if [ -z "$missing" ] && cjson_ok; then
    exit 0
fi
[ -n "$missing" ] || missing=" libcjson1 libcjson-dev"
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends $missing >/dev/null
    cjson_ok || { echo "deps: libcjson1 older than 1.7.15-1+deb12u3 (2023 security fixes)" >&2; exit 1; }
    echo "deps: ok"
else
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run this as root, then repeat your make command:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
