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
set -eu
port=${1:-8765}
echo "serve: httpbin on http://127.0.0.1:$port (Ctrl-C stops it)"
exec /usr/bin/python3 -I /usr/bin/gunicorn \
    --bind "127.0.0.1:$port" --worker-class gthread --workers 1 --threads 32 \
    --keep-alive 5 --graceful-timeout 1 --log-level warning httpbin:app
