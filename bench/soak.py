#!/usr/bin/python3
"""bench/soak.py — make soak's driver: start nginx on an ephemeral 127.0.0.1
port (bench/run.py's Nginx, the benchmark's own configuration), run
bench/soak against its /small, stop nginx, and exit with soak's status.

Usage: soak.py --bin BUILD/bench/soak [N [SAMPLE [WORKERS [WINDOW]]]]
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
    ap.add_argument("--bin", required=True, help="the soak program")
    ap.add_argument("args", nargs="*", help="N SAMPLE WORKERS WINDOW (see bench/soak.c)")
    a = ap.parse_args()
    if not os.path.exists(run.ECHO_MODULE):
        sys.exit("soak: needs nginx and libnginx-mod-http-echo (make bench-deps)")
    with tempfile.TemporaryDirectory(prefix="futurl-soak-") as tmp:
        nginx = run.Nginx(tmp)
        nginx.start()
        try:
            url = "http://127.0.0.1:%d/small" % nginx.port
            print("soak: nginx on %s" % url, flush=True)
            rc = subprocess.call([a.bin, url] + a.args)
        finally:
            nginx.stop()
    sys.exit(rc)


if __name__ == "__main__":
    main()
