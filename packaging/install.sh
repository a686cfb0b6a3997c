#!/bin/sh
# packaging/install.sh — `make install` and `make uninstall`: installs the
# files a list names under $DESTDIR, prints where each went, and records
# them in a manifest so that uninstall removes exactly those, and the
# directories install created, if they are empty then.
#
#   install.sh install MANIFEST < LIST      LIST lines: "file MODE SRC DEST"
#                                                       "link TARGET DEST"
#   install.sh uninstall MANIFEST
#
# DEST and MANIFEST are final paths (under PREFIX); $DESTDIR is prepended
# to every path touched. Manifest lines: "file P", "link P", "dir P" (a
# directory install created, in creation order). Installing over an
# earlier install keeps the directories it created and removes the files
# it had that the new list no longer names.
set -eu
cmd=$1 manifest=$2
D=${DESTDIR:-}
new=$(mktemp) old=$(mktemp)
trap 'rm -f "$new" "$old"' EXIT

# mkdir -p that records every directory it creates.
mkdirs() {
    [ -d "$D$1" ] && return 0
    mkdirs "$(dirname "$1")"
    mkdir "$D$1"
    echo "dir $1" >>"$new"
}

case $cmd in
install)
    if [ -f "$D$manifest" ]; then
        cp "$D$manifest" "$old"
        # Directories an earlier install created are still ours.
        grep '^dir ' "$old" | while read -r _ p; do
            [ -d "$D$p" ] && echo "dir $p"
        done >>"$new"
    fi
    while read -r kind a b c; do
        case $kind in
        file) mode=$a src=$b dest=$c
              mkdirs "$(dirname "$dest")"
              install -m "$mode" "$src" "$D$dest"
              echo "  $dest"
              echo "file $dest" >>"$new" ;;
        link) target=$a dest=$b
              mkdirs "$(dirname "$dest")"
              ln -sfn "$target" "$D$dest"
              echo "  $dest -> $target"
              echo "link $dest" >>"$new" ;;
        "") ;;
        *) echo "install.sh: bad list line: $kind $a $b $c" >&2; exit 1 ;;
        esac
    done
    # What the earlier install put there and this one does not.
    grep -E '^(file|link) ' "$old" | while read -r _ p; do
        grep -qxF "file $p" "$new" || grep -qxF "link $p" "$new" || {
            rm -f "$D$p" && echo "  removed $p (no longer installed)"
        }
    done
    mkdirs "$(dirname "$manifest")"
    cp "$new" "$D$manifest"
    chmod 644 "$D$manifest"
    echo "  $manifest (what make uninstall removes)"
    ;;
uninstall)
    if [ ! -f "$D$manifest" ]; then
        echo "uninstall: no manifest $D$manifest: nothing was installed there" \
             "with this PREFIX and DESTDIR" >&2
        exit 1
    fi
    cp "$D$manifest" "$old"
    grep -E '^(file|link) ' "$old" | while read -r _ p; do
        if [ -e "$D$p" ] || [ -L "$D$p" ]; then
            rm -f "$D$p" && echo "  removed $p"
        fi
    done
    rm -f "$D$manifest"
    echo "  removed $manifest"
    # Deepest first: reverse creation order; only those left empty.
    grep '^dir ' "$old" | sed -n '1!G;h;$p' | while read -r _ p; do
        rmdir "$D$p" 2>/dev/null && echo "  removed directory $p" || true
    done
    ;;
*)
    echo "usage: install.sh install|uninstall MANIFEST" >&2
    exit 2 ;;
esac
