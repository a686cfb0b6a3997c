#!/usr/bin/python3
"""bench/header_store.py — make bench-headers' driver: start nginx on an
ephemeral 127.0.0.1 port (bench/run.py's Nginx and configuration), run
bench/header_store against its /headers10 (a 65-byte body, 10 response
headers), stop nginx, and exit with the program's status.

Usage: header_store.py --bin BUILD/bench/header_store [N [ROUNDS]]
"""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: Nginx, ECHO_MODULE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the header_store program")
    ap.add_argument("args", nargs="*", help="N ROUNDS (see bench/header_store.c)")
    a = ap.parse_args()
    if not os.path.exists(run.ECHO_MODULE):
        sys.exit("header_store: needs nginx and libnginx-mod-http-echo (make bench-deps)")
    with tempfile.TemporaryDirectory(prefix="futurl-hdr-") as tmp:
        nginx = run.Nginx(tmp)
        nginx.start()
        try:
            url = "http://127.0.0.1:%d/headers10" % nginx.port
            print("header_store: nginx on %s" % url, flush=True)
            rc = subprocess.call([a.bin, url] + a.args)
        finally:
            nginx.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
