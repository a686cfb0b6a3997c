#!/bin/sh
# packaging/deb.sh OUTDIR — `make deb`: build the Debian packages from a copy
# of this tree in OUTDIR/futurl-VERSION, so the source tree gets none of
# dpkg-buildpackage's files (debian/tmp, debian/files, stamps), then check
# them with lintian when it is installed. The .debs, .buildinfo and
# .changes land in OUTDIR.
set -eu
out=$1
version=$(dpkg-parsechangelog -S Version)
src="$out/futurl-$version"
rm -rf "$out"
mkdir -p "$src"
# The files git knows (tracked, or new and not ignored); all but build/
# when this is not a git checkout.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf - | tar -C "$src" -xf -
else
    tar --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
# Without the command-line tool (cli/), leave its package out.
profiles=""
[ -f cli/cli.mk ] || profiles="-Ppkg.futurl.nocli"
echo "deb: dpkg-buildpackage -us -uc -b $profiles in $src"
# A make variable given to `make deb` must not leak into the package build.
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
    dpkg-buildpackage -us -uc -b $profiles) >"$out/build.log" 2>&1 || {
    tail -n 40 "$out/build.log"
    echo "deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
    exit 1
}
rm -rf "$src"
ls "$out"/*.deb
changes=$(ls "$out"/*.changes)
if command -v lintian >/dev/null; then
    echo "deb: lintian --pedantic (fails on errors and warnings)"
    lintian --pedantic --info --fail-on error,warning "$changes"
fi
