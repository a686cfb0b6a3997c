#!/usr/bin/env bash
# .ci/packaging.sh — futurl as its users get it, proven from installed
# copies (called by .ci/run before the final `make test`):
#  1. make install into a fresh prefix; test/consumer/ copied outside the
#     repository and built and run: pkg-config shared (gcc, and g++ as
#     C++), futurl-static (the static route), the naive
#     `pkg-config --static` line (expected not to link on Debian 12), and the
#     CMake package with both targets and a C++ build;
#  2. make install into an empty DESTDIR, make uninstall: nothing is left;
#  3. make deb (lintian --pedantic fails it on any error or warning), the
#     packages installed with apt-get, the consumer built against the
#     system with no extra flags, through pkg-config and through CMake;
#     futurl --version (once the CLI exists); man -w futurl_gather; then
#     the packages purged.
# The consumer's requests go to a python3 http.server on 127.0.0.1 that
# this script starts and stops. Prints how long each part took.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
repo=$PWD
t0=$(date +%s)
lap() { echo "== packaging: $1 ($(($(date +%s) - t0)) s so far)"; }

if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q --no-install-recommends cmake g++ pkg-config python3 man-db \
        dpkg-dev debhelper fakeroot lintian >/dev/null
fi
make -s deps

work=$(mktemp -d /tmp/futurl-packaging.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- server
mkdir "$work/www"
printf '{"name": "futurl", "items": [1, 2, 3]}\n' >"$work/www/data.json"
python3 -u -m http.server --bind 127.0.0.1 --directory "$work/www" 0 \
    >"$work/server.log" 2>&1 &
server=$!
port=""
for _ in $(seq 50); do
    port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$work/server.log" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log"; echo "packaging: no server" >&2; exit 1; }
url="http://127.0.0.1:$port/data.json"
echo "packaging: serving $url"

cp -r test/consumer "$work/consumer"   # a program outside the repository
cd "$work/consumer"
CWARN=(-std=c11 -Wall -Wextra -Werror)
XWARN=(-x c++ -std=c++11 -Wall -Wextra -Werror)

# ---------------------------------------------------------------- prefix
lap "make install into a fresh prefix"
prefix="$work/prefix"
make -s -C "$repo" install PREFIX="$prefix" >"$work/install.log"
tail -n 4 "$work/install.log"
grep -q "^prefix=$prefix\$" "$prefix/lib/pkgconfig/futurl.pc"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir futurl)

echo "-- pkg-config futurl (shared), gcc: $(pkg-config --cflags --libs futurl)"
gcc "${CWARN[@]}" consumer.c $(pkg-config --cflags --libs futurl) -Wl,-rpath,"$libdir" \
    -o c-shared
ldd c-shared | grep "libfuturl.so.0 => $libdir/libfuturl.so.0" >/dev/null
./c-shared "$url"

echo "-- pkg-config futurl (shared), g++ as C++"
g++ "${XWARN[@]}" consumer.c $(pkg-config --cflags --libs futurl) -Wl,-rpath,"$libdir" \
    -o cxx-shared
./cxx-shared "$url"

echo "-- pkg-config futurl-static, gcc: $(pkg-config --cflags --libs futurl-static)"
gcc "${CWARN[@]}" consumer.c $(pkg-config --cflags --libs futurl-static) -o c-static
if ldd c-static | grep libfuturl >/dev/null; then
    echo "packaging: c-static loads a shared libfuturl" >&2; exit 1
fi
./c-static "$url"

echo "-- pkg-config --static futurl (libcurl's whole static list): expected not to link"
if gcc consumer.c $(pkg-config --cflags --static --libs futurl) -o c-naive \
        2>"$work/naive.log"; then
    echo "packaging: note: the --static line linked here (libcurl's static" \
         "dependencies are installed); futurl-static stays the documented route"
else
    grep -o 'cannot find -l[a-z0-9_]*' "$work/naive.log" | sort -u | tr '\n' ' '
    echo
fi

echo "-- CMake package: futurl::futurl, futurl::futurl_static, C++"
cmake -S . -B cm -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_RPATH="$libdir" \
    >"$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
grep 'futurl 0' "$work/cmake.log"
cmake --build cm -j2 >>"$work/cmake.log" || { cat "$work/cmake.log"; exit 1; }
for t in consumer_shared consumer_static consumer_cxx; do ./cm/$t "$url"; done
if ldd cm/consumer_static | grep libfuturl >/dev/null; then
    echo "packaging: consumer_static loads a shared libfuturl" >&2; exit 1
fi
unset PKG_CONFIG_PATH

echo "-- man pages from the prefix"
MANPATH="$prefix/share/man" man -w futurl_gather
MANPATH="$prefix/share/man" man -w 7 futurl

lap "make uninstall from the prefix"
make -s -C "$repo" uninstall PREFIX="$prefix" >/dev/null
if [ -e "$prefix" ]; then
    find "$prefix"; echo "packaging: uninstall left files in $prefix" >&2; exit 1
fi

lap "install into an empty DESTDIR, uninstall: the tree is empty again"
dest="$work/destdir"
mkdir "$dest"
make -s -C "$repo" install DESTDIR="$dest" PREFIX=/usr >/dev/null
echo "installed $(find "$dest" -type f -o -type l | wc -l) files and links"
make -s -C "$repo" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null
if [ -n "$(ls -A "$dest")" ]; then
    find "$dest"; echo "packaging: uninstall left files in DESTDIR" >&2; exit 1
fi
echo "DESTDIR empty"

# ---------------------------------------------------------------- Debian
lap "make deb"
make -s -C "$repo" deb
debs=("$repo"/build/deb/*.deb)
if [ "$(id -u)" != 0 ]; then
    echo "packaging: not root: the packages are built and linted; skipping their install"
    lap "done"
    exit 0
fi

lap "apt-get install the packages"
apt-get install -y -q --no-install-recommends \
    $(printf '%s\n' "${debs[@]}" | grep -v -- -dbgsym_) >/dev/null
dpkg-query -W libfuturl0 libfuturl-dev $(dpkg-query -W futurl >/dev/null 2>&1 && echo futurl)

echo "-- the system install, no extra flags: gcc consumer.c -lfuturl -lcjson"
gcc "${CWARN[@]}" consumer.c -o c-system -lfuturl -lcjson
./c-system "$url"
echo "-- pkg-config and CMake against the system"
gcc "${CWARN[@]}" consumer.c $(pkg-config --cflags --libs futurl) -o c-system-pc
./c-system-pc "$url"
gcc "${CWARN[@]}" consumer.c $(pkg-config --cflags --libs futurl-static) -o c-system-static
./c-system-static "$url"
cmake -S . -B cm-system >"$work/cmake.log" && cmake --build cm-system -j2 >>"$work/cmake.log" ||
    { cat "$work/cmake.log"; exit 1; }
for t in consumer_shared consumer_static consumer_cxx; do ./cm-system/$t "$url"; done

if [ -x /usr/bin/futurl ]; then
    echo "-- futurl --version; man -w 1 futurl"
    /usr/bin/futurl --version
    man -w 1 futurl
else
    echo "-- no futurl program yet (the CLI, issue #16): its package was not built"
fi

# Debian images may exclude /usr/share/man from dpkg (path-exclude in
# /etc/dpkg/dpkg.cfg.d/); then the pages are checked in the .deb instead.
if grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
    echo "-- dpkg excludes /usr/share/man here: the pages, from the .deb"
    dpkg-deb -c "$repo"/build/deb/libfuturl-dev_*.deb | grep -E 'man3/futurl_gather.3|man7/futurl.7'
else
    echo "-- man -w futurl_gather"
    man -w futurl_gather
    man -w 7 futurl
fi

lap "purge the packages"
pkgs="libfuturl0 libfuturl-dev"
dpkg-query -W futurl >/dev/null 2>&1 && pkgs="$pkgs futurl"
apt-get purge -y -q $pkgs >/dev/null
if [ -e /usr/include/futurl.h ] || ldconfig -p | grep libfuturl >/dev/null; then
    echo "packaging: purge left futurl behind" >&2; exit 1
fi
lap "done"
