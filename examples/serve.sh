#!/bin/sh
# examples/serve.sh — `make serve`: the local httpbin every example uses by
# default, on http://127.0.0.1:8765 (or the port given), in the foreground
# until Ctrl-C. Loopback only: nothing here listens on a public interface.
#
# Debian's interpreter on purpose: httpbin and gunicorn are Debian packages
# (python3-httpbin, gunicorn), and a python3 earlier on PATH (pyenv, a
# virtualenv) would not have them. -I keeps user site-packages and PYTHON*
# variables out. gthread with 32 threads: the examples run up to 32
# requests at once, and a delayed request holds a thread while it sleeps.
#
# `serve.sh unix:PATH` (`make serve-unix`) listens on a Unix domain socket
# at PATH instead, for examples/unix_socket.c; gunicorn removes the file
# when it stops.
set -eu
where=${1:-8765}
case $where in
unix:*)
    bind=$where
    echo "serve: httpbin on the Unix socket ${where#unix:} (Ctrl-C stops it)"
    ;;
*)
    bind=127.0.0.1:$where
    echo "serve: httpbin on http://$bind (Ctrl-C stops it)"
    ;;
esac
exec /usr/bin/python3 -I /usr/bin/gunicorn \
    --bind "$bind" --worker-class gthread --workers 1 --threads 32 \
    --keep-alive 5 --graceful-timeout 1 --log-level warning httpbin:app
