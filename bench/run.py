#!/usr/bin/python3
"""bench/run.py — the driver of `make bench` and `make bench-smoke`.

Starts nginx (Debian's, with the echo module) on an ephemeral 127.0.0.1
port from a config generated in a temporary directory, then for each
scenario runs every implementation as its own process, one run per
implementation per round, rotating their order every round. It reports
the median over the rounds and the ratio to the scenario's baseline measured
in the same run (raw for S1-S3, the minimal hand-off for S4, futurl with an
empty jar or none for S8), prints a table and the machine, writes the
results as JSON (scenario -> implementation -> seconds, req/s,
ratio_to_raw, peak_rss_kb, ...) and, when gnuplot is installed, a PNG
beside it (plot(): a panel per group of scenarios, each scenario's
implementations as bars of their ratio to its baseline, one colour per
implementation; without gnuplot it says so and the run still succeeds).
`run.py --plot-only results.json` redraws the PNG of an earlier run. nginx
is always stopped on exit.

Times come from each program's own clock around its work (setup of the pool
included, process start excluded), except for the command-line tools (curl --parallel, the
futurl CLI, xargs -P curl, wget2, aria2c), which are timed around the whole
process (start-up and reading their URL lists included). The command-line
tools run side by side in S1-S3 (S3: bodies written to files), with their
ratio to curl --parallel. CPU seconds come from wait4() for every process; peak RSS is
the process's VmHWM (its own report, or sampled from /proc for curl);
server_cpu_s is the CPU nginx used during the run.

Standard library only: run it with Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
SMALL_BODY = '{"ok":true,"id":12345,"name":"futurl-bench","tags":["a","b","c"]}'
DELAY_S = 0.05
BIG_BYTES = 1 << 20
# /cookies50: every response sets this many cookies never set before (libcurl
# 7.88 takes at most 50 from one response). S8 fills the jar with JAR_FILL of
# them: 3,200 cookies set, the jar at its default cap of 3,000.
COOKIES_PER_RESPONSE = 50
JAR_FILL = 64
# futurl's default jar limits (max_cookies_per_domain, max_cookies): what
# raw's handles are given as the floor of jar-50 and jar-cap.
JAR_PER_DOMAIN = 50
JAR_MAX_COOKIES = 3000
RUN_TIMEOUT_S = 300

# --hog: one competing process. "mem" copies 64 MiB back and forth
# (bytearray slice assignment is a memcpy).
HOGS = {
    "cpu": "while True: pass",
    "mem": "a = bytearray(64 << 20); b = bytearray(64 << 20)\n"
           "while True:\n    b[:] = a\n    a[:] = b",
}

# Counts per scenario. Python peers run fewer requests in S1/S3 so the full
# run stays near 12 minutes; their req/s is still comparable.
# Among the command-line tools, xargs (a curl process per request: 10 to 120
# ms each here, with the machine's load) and aria2c (about 200 small
# downloads a second) run fewer requests
# (slow_n: S2 still in whole rounds of 32); their req/s and efficiency are
# still comparable.
FULL = dict(rounds=4, s1_n=50000, s1_c=8, s1_py_n=10000, s2_n=1000, s2_c=32,
            s3_n=2000, s3_c=8, s3_py_n=500, s3_window=64, s4_n=1000000, s4_w=4,
            s4_lat=20000, s5_n=100000, s1_slow_n=400, s2_slow_n=128,
            s3_slow_n=200, s6_n=20000, s6_hs_n=4000, s6_c=8, s7_n=20000, s7_c=8, s7_hosts=64,
            s8p_n=100000, s8p_c=8, s8p_hosts=4,
            s8j_n=100000, s8j_churn_n=100, s8j_c=8)
SMOKE = dict(rounds=1, s1_n=400, s1_c=8, s1_py_n=200, s2_n=64, s2_c=32,
             s3_n=16, s3_c=8, s3_py_n=8, s3_window=64, s4_n=20000, s4_w=4,
             s4_lat=500, s5_n=2000, s1_slow_n=40, s2_slow_n=64,
             s3_slow_n=8, s6_n=200, s6_hs_n=100, s6_c=8, s7_n=400, s7_c=8, s7_hosts=64,
             s8p_n=400, s8p_c=8, s8p_hosts=4,
             s8j_n=200, s8j_churn_n=40, s8j_c=8)

# The command-line tools; curl-cli is the baseline of their ratios (S3: the
# same with its bodies written to files, curl-cli-files).
# futurl-free (S1): requests outstanding per worker while each finished
# future is freed at once; enough that no worker waits for the main thread.
FREE_WINDOW_PER_WORKER = 32

CLI_IMPLS = ("futurl-cli", "curl-cli", "curl-cli-files", "xargs-curl", "wget2",
             "aria2c")
SLOW_CLI = ("xargs-curl", "aria2c")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ nginx

NGINX_CONF = """\
load_module {echo};
{user}
daemon off;
master_process on;
# One worker: nginx is event-driven and one process serves every scenario
# here far faster than the client side on a 2-core machine, while leaving
# the other core to the client; a second worker only competes with it.
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    sendfile on;
    tcp_nopush on;
    gzip off;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
{more_listens}        location = /small {{
            default_type application/json;
            return 200 '{small}';
        }}
        location = /delay {{
            default_type application/json;
            echo_sleep {delay};
            echo '{{"delayed":true}}';
        }}
        location = /big {{
            default_type application/octet-stream;
            alias {tmp}/big.bin;
        }}
        location = /headers10 {{
            # bench/header_store.py: /small with 5 more response headers
            # (10 in all, beside Server, Date, Content-Type, Content-Length
            # and Connection).
            default_type application/json;
            add_header Cache-Control "no-store, max-age=0";
            add_header X-Request-Id $request_id;
            add_header X-Content-Type-Options nosniff;
            add_header Vary "Accept-Encoding, Origin";
            add_header Strict-Transport-Security "max-age=31536000; includeSubDomains";
            return 200 '{small}';
        }}
        location = /cookies50 {{
            default_type application/json;
{cookie_headers}
            return 200 '{small}';
        }}
    }}
{tls_servers}}}
"""

# S6: /small over TLS (HTTP/1.1; no http2 here, so ALPN picks 1.1 for
# everyone), with keep-alive and, on a second port, without: every request
# a new connection and a full handshake. A P-256 certificate made at run
# time for 127.0.0.1; the clients verify it.
NGINX_TLS_SERVER = """\
    server {{
        listen 127.0.0.1:{port} ssl backlog=4096;
        ssl_certificate {tmp}/tls.crt;
        ssl_certificate_key {tmp}/tls.key;
        ssl_session_cache shared:bench:10m;
        ssl_session_tickets on;
        {keepalive}
        location = /small {{
            default_type application/json;
            return 200 '{small}';
        }}
    }}
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Nginx:
    """nginx on an ephemeral port, and on `more` others that serve the same
    (S8 per-host's other hosts); retries when a port was taken."""

    def __init__(self, tmp, more=0, tls=False):
        self.tmp = tmp
        self.proc = None
        self.port = None
        self.more = more
        self.more_ports = []
        self.tls = tls
        self.tls_port = self.tls_nokeep_port = None
        self.ca_file = os.path.join(tmp, "tls.crt")
        if tls:
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                 "-subj", "/CN=127.0.0.1", "-addext",
                 "subjectAltName=IP:127.0.0.1,DNS:localhost",
                 "-keyout", os.path.join(tmp, "tls.key"), "-out", self.ca_file],
                check=True, capture_output=True)
        with open(os.path.join(tmp, "big.bin"), "wb") as f:
            f.write(os.urandom(BIG_BYTES))

    def start(self, attempts=5):
        for _ in range(attempts):
            port = free_port()
            more_ports = []
            while len(more_ports) < self.more + (2 if self.tls else 0):
                p = free_port()
                if p != port and p not in more_ports:
                    more_ports.append(p)
            tls_ports = more_ports[self.more:]
            more_ports = more_ports[:self.more]
            tls = "".join(NGINX_TLS_SERVER.format(
                port=p, tmp=self.tmp, small=SMALL_BODY,
                keepalive="" if k else "keepalive_timeout 0;")
                for p, k in zip(tls_ports, (True, False)))
            listens = "".join("        listen 127.0.0.1:%d;\n" % p for p in more_ports)
            conf = os.path.join(self.tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(
                    echo=ECHO_MODULE, tmp=self.tmp, port=port, small=SMALL_BODY,
                    delay=DELAY_S, user="user root;" if os.geteuid() == 0 else "",
                    more_listens=listens, tls_servers=tls,

                    cookie_headers="\n".join(
                        '            add_header Set-Cookie "c%02d$request_id=1; Path=/";'
                        % i for i in range(COOKIES_PER_RESPONSE))))
            errlog = os.path.join(self.tmp, "error.log")
            self.proc = subprocess.Popen(
                ["nginx", "-p", self.tmp, "-c", conf, "-e", errlog],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if all(port_open(p) for p in [port] + more_ports + tls_ports):
                    self.port = port
                    self.more_ports = more_ports
                    if tls_ports:
                        self.tls_port, self.tls_nokeep_port = tls_ports
                    return port
                time.sleep(0.05)
            err = self.proc.stderr.read().decode(errors="replace") \
                if self.proc.poll() is not None else ""
            self.stop()
            try:
                with open(errlog, errors="replace") as f:
                    err += f.read()
            except OSError:
                pass
            if "Address already in use" not in err:
                raise RuntimeError("nginx did not start:\n" + err)
            log("bench: port %d taken, retrying" % port)
        raise RuntimeError("nginx: no free port after %d attempts" % attempts)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cpu_seconds(self):
        """CPU seconds used so far by the master and its worker(s)."""
        if self.proc is None:
            return 0.0
        pids = [self.proc.pid]
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                pids += [int(p) for p in f.read().split()]
        except OSError:
            pass
        total = 0.0
        for pid in pids:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total


# ------------------------------------------------------------------ runs

def vmhwm_kb(pid):
    """Peak RSS so far of a running process (VmHWM), or 0."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_proc(argv, timeout=RUN_TIMEOUT_S):
    """Run argv; return (rc, stdout, stderr, wall seconds, rusage, peak RSS
    KiB sampled from /proc while it ran)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        rc, ru, hwm = None, None, 0
        while True:
            hwm = max(hwm, vmhwm_kb(proc.pid))
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                rc = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - t0 > timeout:
                proc.kill()
                _, status, ru = os.wait4(proc.pid, 0)
                rc = "timeout"
                break
            time.sleep(0.005)
        wall = time.monotonic() - t0
        proc.returncode = rc if isinstance(rc, int) else -1
        out.seek(0)
        err.seek(0)
        return (rc, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), wall, ru, hwm)


def last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


class Runner:
    def __init__(self, bindir, nginx, tmp, cli=None, filedir=None):
        self.bindir = bindir
        self.nginx = nginx
        self.tmp = tmp
        self.cli = cli
        self.filedir = filedir or tmp  # where bodies written to files go
        self.outdirs = {}  # impl -> directory its bodies go to, fresh each run

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.nginx.port, path)

    def curl_config(self, path, n):
        name = os.path.join(self.tmp, "curl-%s-%d.cfg" % (path.strip("/"), n))
        if not os.path.exists(name):
            entry = 'url = "%s"\noutput = "/dev/null"\n' % self.url(path)
            with open(name, "w") as f:
                f.write(entry * n)
        return name

    def listfile(self, kind, path, n, outdir=None):
        """A work list for a command-line tool, written once: URLs made
        unique with ?i=N (wget2 and aria2c skip repeated URLs; nginx ignores
        the query), each with its output file where the format has one."""
        name = os.path.join(self.tmp, "%s-%s-%d-%s.txt" % (
            kind, path.strip("/"), n, "files" if outdir else "null"))
        if not os.path.exists(name):
            url = self.url(path)
            with open(name, "w") as f:
                for i in range(1, n + 1):
                    u = "%s?i=%d" % (url, i)
                    dest = os.path.join(outdir, str(i)) if outdir else "/dev/null"
                    if kind == "urls":
                        f.write(u + "\n")
                    elif kind == "curlcfg":
                        f.write('url = "%s"\noutput = "%s"\n' % (u, dest))
                    elif kind == "pairs":  # xargs -n2: curl ... -o DEST URL
                        f.write("%s %s\n" % (dest, u))
                    elif kind == "aria2":
                        f.write("%s\n  out=%d\n" % (u, i))
        return name

    def cli_argv(self, impl, path, n, conc, files):
        """argv of a command-line tool; with files, its bodies go to a
        directory (recreated before each run, counted and removed after)."""
        outdir = os.path.join(self.filedir, "out-" + impl) if files else None
        if outdir:
            self.outdirs[impl] = outdir
        if impl == "futurl-cli":
            argv = [self.cli, "-s", "--jsonl", "--parallel-max", str(conc), "-i",
                    self.listfile("urls", path, n)]
            return argv + (["--output-dir", outdir, "-o", "{n}"] if files else [])
        if impl in ("curl-cli", "curl-cli-files"):
            return ["curl", "--parallel", "--parallel-max", str(conc), "--silent",
                    "--show-error", "--compressed", "--write-out", "%{http_code}\\n",
                    "-K", self.listfile("curlcfg", path, n, outdir)]
        if impl == "xargs-curl":
            return ["sh", "-c", "exec xargs -P%d -n2 curl --silent --show-error "
                    "--compressed --write-out '%%{http_code}\\n' -o < '%s'"
                    % (conc, self.listfile("pairs", path, n, outdir))]
        if impl == "wget2":
            return ["wget2", "--no-config", "--quiet", "--max-threads", str(conc), "-i",
                    self.listfile("urls", path, n)] + (
                        ["-P", outdir] if files else ["-O", "/dev/null"])
        if impl == "aria2c":
            # aria2c cannot discard bodies: it always writes files.
            self.outdirs[impl] = outdir or os.path.join(self.filedir, "out-aria2c")
            return ["aria2c", "--quiet", "--no-conf", "-j", str(conc), "-i",
                    self.listfile("aria2", path, n), "-d", self.outdirs[impl],
                    "--allow-overwrite=true", "--auto-file-renaming=false",
                    "--file-allocation=none", "--console-log-level=error",
                    "--async-dns=false", "--max-connection-per-server=1",
                    "--remote-time=false", "--auto-save-interval=0"]
        raise ValueError(impl)

    def http_argv(self, impl, path, n, conc, window=0):
        url = self.url(path)
        b = lambda prog: os.path.join(self.bindir, prog)
        if impl == "raw":
            return [b("raw"), url, str(n), str(conc)]
        if impl == "raw-copy":  # S3: raw copying each body, as a keeping client must
            return [b("raw"), url, str(n), str(conc), "copy"]
        if impl == "multi":
            return [b("multi"), url, str(n), str(conc)]
        if impl == "futurl":
            return [b("futurl_bench"), "http", url, str(n), str(conc), str(window)]
        if impl == "futurl-before":  # --before: another build, side by side
            return [os.path.join(self.before, "futurl_bench"), "http", url, str(n),
                    str(conc), str(window)]
        if impl == "futurl-stream":  # S3: the body pulled by one poll loop
            return [b("futurl_bench"), "stream", url, str(n), str(conc)]
        if impl == "futurl-nojar":
            return [b("futurl_bench"), "http", url, str(n), str(conc), str(window),
                    "nojar"]
        if impl == "futurl-queue":  # S1 delivered through a completion queue
            return [b("futurl_bench"), "http", url, str(n), str(conc), "0", "queue"]
        if impl == "futurl-free":  # S1 keeping nothing: each future freed when done
            return [b("futurl_bench"), "http", url, str(n), str(conc),
                    str(FREE_WINDOW_PER_WORKER * conc), "free"]
        if impl == "curl-cli":
            return ["curl", "--parallel", "--parallel-max", str(conc), "--silent",
                    "--show-error", "--compressed", "--write-out", "%{http_code}\\n",
                    "-K", self.curl_config(path, n)]
        if impl in ("aiohttp", "requests-executor"):
            return [PY, os.path.join(HERE, "peers.py"),
                    "aiohttp" if impl == "aiohttp" else "requests", url, str(n),
                    str(conc)]
        raise ValueError(impl)

    def run(self, impl, argv, n):
        """One run; returns a result dict or None (the failure is logged)."""
        outdir = self.outdirs.get(impl)
        if outdir:
            shutil.rmtree(outdir, ignore_errors=True)
            os.makedirs(outdir)
        cpu0 = self.nginx.cpu_seconds()
        rc, out, err, wall, ru, hwm = run_proc(argv)
        server_cpu = self.nginx.cpu_seconds() - cpu0
        files = None
        if outdir:
            files = sum(len(fs) for _, _, fs in os.walk(outdir))
            shutil.rmtree(outdir, ignore_errors=True)
        if impl in CLI_IMPLS:
            if impl == "futurl-cli":
                ok = out.count('"status":200,')
            elif impl in ("curl-cli", "curl-cli-files", "xargs-curl"):
                ok = sum(1 for line in out.splitlines() if line.strip() == "200")
            else:  # wget2, aria2c: the exit status says all went well
                ok = n if rc == 0 else 0
            if files is not None:  # every body must be in its file
                ok = min(ok, files)
            res = {"impl": impl, "n": n, "ok": ok, "seconds": wall,
                   "files": files, "opts": cli_opts_text(impl, argv)}
            # xargs: its biggest curl process (wait4 covers the children).
            hwm = max(hwm, ru.ru_maxrss if impl == "xargs-curl" else 0)
        else:
            res = last_json(out)
        if rc != 0 or res is None or res.get("ok") != n:
            log("bench: %s failed (exit %s, ok %s of %d): %s" % (
                impl, rc, res.get("ok") if res else None, n, err.strip()[-600:]))
            return None
        res["cpu_s"] = ru.ru_utime + ru.ru_stime
        if res.get("peak_rss_kb", -1) <= 0:
            res["peak_rss_kb"] = hwm
        res["server_cpu_s"] = server_cpu
        return res


# ------------------------------------------------------------------ stats

def summarize(runs, n):
    """Median of each measured value over the rounds."""
    med = lambda key: statistics.median(r[key] for r in runs)
    s = {"seconds": med("seconds"), "n": n, "rounds": len(runs),
         "runs_seconds": [round(r["seconds"], 4) for r in runs],
         "cpu_s": med("cpu_s"), "peak_rss_kb": int(med("peak_rss_kb")),
         "server_cpu_s": med("server_cpu_s"), "opts": runs[0].get("opts", "")}
    s["req_per_s"] = n / s["seconds"]
    s["cpu_us_per_req"] = s["cpu_s"] / n * 1e6
    if "new_conns" in runs[0]:
        s["conns_per_req"] = statistics.median(r["new_conns"] for r in runs) / n
    for key in ("p50_us", "p99_us", "max_us", "rss_bytes_per_future",
                "heap_bytes_per_future", "queued", "url_bytes", "clock_cpu_s",
                "queue_p50_us", "queue_p99_us", "callback_p50_us", "callback_p99_us",
                "new_conns", "maxconnects"):
        if key in runs[0]:
            s[key] = med(key)
    return s


def run_scenario(runner, rounds, entries, baseline):
    """entries: list of (impl, argv, n). Rounds rotate the order."""
    runs = {impl: [] for impl, _, _ in entries}
    for r in range(rounds):
        k = r % len(entries)
        for impl, argv, n in entries[k:] + entries[:k]:
            res = runner.run(impl, argv, n)
            if res is not None:
                runs[impl].append(res)
                log("  %-18s round %d: %8.3f s" % (impl, r + 1, res["seconds"]))
    table = {}
    for impl, argv, n in entries:
        if runs[impl]:
            table[impl] = summarize(runs[impl], n)
    base = table.get(baseline)
    for impl, s in table.items():
        s["ratio_to_raw"] = s["req_per_s"] / base["req_per_s"] if base else None
    return table


def cli_opts_text(impl, argv):
    """What a command-line run did, in words, for results.json."""
    what = {
        "futurl-cli": "the futurl command-line tool, --jsonl to a pipe",
        "curl-cli": "curl %s --parallel --parallel-max N --compressed, -K list of N "
                    "url/output=/dev/null pairs" % curl_cli_version(),
        "curl-cli-files": "curl %s --parallel --parallel-max N --compressed, -K list "
                          "of N url/output=FILE pairs" % curl_cli_version(),
        "xargs-curl": "xargs -PN -n2 curl -o DEST URL: one curl process a request",
        "wget2": "wget2 --max-threads N -i list (-O /dev/null, or -P DIR)",
        "aria2c": "aria2c -j N -i list -d DIR (always writes files)",
    }[impl]
    return what + "; timed around the process; argv: " + " ".join(argv)


def cli_ratios(table, base):
    """Each command-line tool's req/s over the baseline's, in the same run."""
    b = table.get(base)
    for impl, s in table.items():
        if impl in CLI_IMPLS:
            s["ratio_to_curl_cli"] = s["req_per_s"] / b["req_per_s"] if b else None


# ------------------------------------------------------------------ report

def curl_cli_version():
    try:
        return subprocess.run(["curl", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def capture(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=ROOT)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
        "os": capture(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "libcurl": capture(["pkg-config", "--modversion", "libcurl"]),
        "curl_cli": curl_cli_version(),
        "nginx": capture(["nginx", "-v"]).replace("nginx version: ", ""),
        "cc": capture(["sh", "-c", "${CC:-cc} --version | head -n 1"]),
        # The library's own commit: the last one that touched it.
        "futurl_commit": capture(["git", "log", "-1", "--format=%h %s", "--",
                                  "src", "include"]),
        "futurl_tree": "dirty" if capture(["git", "status", "--porcelain",
                                            "src", "include"]) else "clean",
        "loadavg_before": capture(["cat", "/proc/loadavg"]),
        "shm_used_mib": shm_used_mib(),
    }


def shm_used_mib():
    """MiB already in /dev/shm (None without it). S3's files go there, and
    gigabytes left there by something else made every tool's writes cost
    2-3 times the kernel time (futurl CLI, curl and wget2 alike)."""
    try:
        st = os.statvfs("/dev/shm")
    except OSError:
        return None
    return (st.f_blocks - st.f_bfree) * st.f_frsize // (1 << 20)


def python_peers():
    """Which Python peers Debian's interpreter can import."""
    found = []
    for mod, impl in (("aiohttp", "aiohttp"), ("requests", "requests-executor")):
        if os.path.exists(PY) and subprocess.run(
                [PY, "-c", "import " + mod], capture_output=True).returncode == 0:
            found.append(impl)
    return found


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "-"


def print_table(title, table, extra_cols=()):
    print("\n" + title)
    head = "  %-18s %7s %9s %11s %8s %10s %9s %10s" % (
        "implementation", "n", "seconds", "req/s", "ratio", "cpu us/req",
        "peak MiB", "nginx cpu")
    for name, _, _ in extra_cols:
        head += " %9s" % name
    print(head)
    for impl, s in table.items():
        line = "  %-18s %7d %9.3f %11.0f %8s %10.1f %9.1f %9.2fs" % (
            impl, s["n"], s["seconds"], s["req_per_s"], fmt(s["ratio_to_raw"], ".3f"),
            s["cpu_us_per_req"], s["peak_rss_kb"] / 1024, s["server_cpu_s"])
        for _, key, spec in extra_cols:
            line += " %9s" % fmt(s.get(key), spec)
        print(line)


def check(targets, name, value, op, bound, what):
    ok = value is not None and (value >= bound if op == ">=" else value <= bound)
    targets.append({"target": name, "what": what, "value": value, "op": op,
                    "bound": bound, "met": ok})


# ------------------------------------------------------------------ the PNG

# Panels of bench/results.png: (title, {} standing for the scenarios drawn,
# by family (PLOT_FAMILIES); scenarios; ratio key; which implementations). A scenario's bars are its
# implementations' ratios to its own baseline (the one at exactly 1.0), so
# every scenario fits one axis.
PLOT_PANELS = (
    ("HTTP clients, {}: req/s over raw's", ("S1", "S2", "S3"), "ratio_to_raw",
     lambda impl: impl not in CLI_IMPLS or impl == "curl-cli"),
    ("command-line tools, {}: req/s over curl --parallel's (S3: bodies written "
     "to files)", ("S1", "S2", "S3"), "ratio_to_curl_cli", lambda impl: impl in CLI_IMPLS),
    ("{}: jobs/s (S4) or req/s over the baseline's",
     ("S4", "S4-latency", "S6-keepalive", "S6-handshake", "S7"), "ratio_to_raw",
     lambda impl: True),
    ("{}: req/s over futurl's without the per-host limit, or with an empty or no "
     "cookie jar",
     ("S8-perhost", "S8-perhost-hosts", "S8-jar", "S8-jar-churn"), "ratio_to_raw",
     lambda impl: True),
)
PLOT_FAMILIES = {"S4": "executor", "S6": "TLS", "S7": "many hosts", "S8": "limits"}
PLOT_SCENARIO_WORDS = {
    "S1": "small bodies", "S2": "50 ms each", "S3": "1 MiB bodies",
    "S4": "no-op jobs", "S4-latency": "one job at a time",
    "S6-keepalive": "TLS kept alive", "S6-handshake": "TLS handshakes",
    "S7": "many hosts", "S8-perhost": "max_per_host, 1 host",
    "S8-perhost-hosts": "max_per_host, hosts", "S8-jar": "a full jar",
    "S8-jar-churn": "jar churn",
}
# One colour per implementation, the same in every panel; families share a
# hue (futurl blues, raw greys, multi orange, curl reds, Python greens).
# "-keepN" (S7) is looked up as "-keep".
PLOT_COLOURS = {
    "raw": "#404040", "raw-1conn": "#8c8c8c", "raw-keep": "#b3b3b3",
    "raw-copy": "#d9d9d9",
    "handoff": "#737373",
    "futurl": "#1f77b4", "futurl-nojar": "#aec7e8", "futurl-queue": "#17becf",
    "futurl-free": "#9edae5", "futurl-stream": "#393b79", "futurl-before": "#c5b0d5",
    "futurl-keep": "#6baed6", "futurl-nolimit": "#0b6e4f", "futurl-max1": "#9467bd",
    "futurl-jar-50": "#7b4173", "futurl-jar-cap": "#843c39",
    "multi": "#ff7f0e", "multi-keep": "#ffbb78",
    "curl-cli": "#d62728", "curl-cli-files": "#ff9896", "futurl-cli": "#5254a3",
    "wget2": "#bcbd22", "aria2c": "#e377c2", "xargs-curl": "#8c564b",
    "aiohttp": "#2ca02c", "requests-executor": "#98df8a",
}
# Implementations not named above: a colour from this list, chosen by name.
PLOT_SPARE_COLOURS = ("#637939", "#b5cf6b", "#bd9e39", "#e7969c", "#de9ed6",
                      "#9c9ede", "#d6616b", "#cedb9c")
# Bars taller than this are cut at it (their label still says the value).
PLOT_CAP = 3.0
# A panel is at least this many bars wide, so a panel of few bars has them
# as wide as the others, centred.
PLOT_MIN_SLOTS = 14


def plot_key(impl):
    """The name an implementation's colour and place are looked up by."""
    head, sep, tail = impl.rpartition("-keep")
    return head + "-keep" if sep and tail.isdigit() else impl


def plot_colour(impl):
    key = plot_key(impl)
    if key in PLOT_COLOURS:
        return PLOT_COLOURS[key]
    return PLOT_SPARE_COLOURS[sum(key.encode()) % len(PLOT_SPARE_COLOURS)]


def plot_rank(impl):
    order = list(PLOT_COLOURS)
    key = plot_key(impl)
    return (order.index(key) if key in order else len(order), impl)


def machine_line(m):
    """The machine, in one line (printed by main and drawn in the PNG's title)."""
    return ("%s cpus, %s, kernel %s, %s; libcurl %s, curl %s, nginx %s; %s" % (
        m.get("nproc"), m.get("cpu_model"), m.get("kernel"), m.get("os"),
        m.get("libcurl"), m.get("curl_cli"), str(m.get("nginx")).replace("nginx/", ""),
        m.get("cc")))


def gp_str(text):
    """A gnuplot double-quoted string."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def plot_groups(results, scenarios, key, wanted):
    """[(scenario, baseline or None, [(impl, ratio)])] of one panel; the
    baseline first, then the implementations in PLOT_COLOURS's order."""
    groups = []
    for scen in scenarios:
        bars = [(impl, s[key]) for impl, s in results.get(scen, {}).items()
                if wanted(impl) and isinstance(s.get(key), (int, float))]
        if len(bars) < 2:
            continue
        base = next((impl for impl, v in bars if v == 1.0), None)
        bars.sort(key=lambda b: (b[0] != base, plot_rank(b[0])))
        groups.append((scen, base, bars))
    return groups


def plot_scenarios(groups):
    """The scenarios of a panel's groups, as its title says them: "S1, S2",
    or by family, "executor S4, S4-latency; TLS S6-keepalive"."""
    families = {}
    for scen, _, _ in groups:
        family = scen.split("-")[0]
        families.setdefault(family if family in PLOT_FAMILIES else "", []).append(scen)
    return "; ".join(("%s %s" % (PLOT_FAMILIES[f], ", ".join(sc))) if f
                     else ", ".join(sc) for f, sc in families.items())


def plot_label(v):
    return "%.3f" % v if v < 0.095 else "%.2f" % v


def plot(doc, png):
    """Draw results.json's ratios as grouped bars, one panel per group of
    scenarios, with gnuplot (a data file and a script beside the PNG,
    removed after). Returns True when the PNG was written; otherwise says
    why on stderr and returns False: the run itself has not failed."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        log("bench: gnuplot not found: %s not drawn (Debian gnuplot-nox; make "
            "bench-deps installs it, then: %s bench/run.py --plot-only JSON)" % (png, PY))
        return False
    results, meta = doc.get("results", {}), doc.get("meta", {})
    panels = []
    for title, scenarios, key, wanted in PLOT_PANELS:
        groups = plot_groups(results, scenarios, key, wanted)
        if groups:
            panels.append((title.format(plot_scenarios(groups)), groups))
    if not panels:
        log("bench: nothing to draw in %s (no scenario with two implementations)" % png)
        return False
    data, script = png + ".dat", png + ".gp"
    m = meta.get("machine", {})
    cfg = meta.get("config", {})
    title = ("futurl bench: each scenario's implementations as a ratio to its baseline "
             "(dashed line at 1.0; higher is faster)\n%s\nfuturl library at %s (src/include "
             "%s); %s%s round(s), medians; %s" % (
                 machine_line(m), str(m.get("futurl_commit", "?")).split()[0],
                 m.get("futurl_tree", "?"),
                 "SMOKE run (counts too small to judge); " if meta.get("smoke") else "",
                 cfg.get("rounds", "?"), meta.get("date", "?")))
    if any(v > PLOT_CAP for _, groups in panels for _, _, bars in groups for _, v in bars):
        title = title.replace("higher is faster)", "higher is faster; bars cut at %g, "
                              "their labels say the value)" % PLOT_CAP, 1)
    panel_h, head_h = 360, 80
    lines = ["set terminal pngcairo noenhanced size 1500,%d font 'sans,10'" % (
                 head_h + panel_h * len(panels)),
             "set output %s" % gp_str(png),
             "set style fill solid 0.9 border rgb '#333333'",
             "set boxwidth 0.8 absolute",
             "set grid ytics lc rgb '#d0d0d0'",
             "set ylabel 'ratio to the baseline'",
             "set xtics nomirror scale 0",
             "set ytics nomirror",
             "set border 3",
             "set bmargin 5",
             "set style textbox opaque noborder",
             "set lmargin at screen 0.05",
             "set rmargin at screen 0.84",
             "set key outside right top vertical Left reverse noautotitle "
             "samplen 1.5 spacing 1.1",
             "set multiplot layout %d,1 title %s font ',11'" % (len(panels), gp_str(title))]
    with open(data, "w") as f:
        for index, (ptitle, groups) in enumerate(panels):
            x, tics, impls, top = 0, [], [], 0.0
            for scen, base, bars in groups:
                first = x
                for impl, v in bars:
                    f.write("%d %.6g %d %s\n" % (x, v, int(plot_colour(impl)[1:], 16),
                                                 plot_label(v)))
                    top = max(top, v)
                    if impl not in impls:
                        impls.append(impl)
                    x += 1
                words = PLOT_SCENARIO_WORDS.get(scen, "")
                if scen == "S7" and cfg.get("s7_hosts"):
                    words = "%d hosts" % cfg["s7_hosts"]
                tics.append("%s %.1f" % (gp_str("%s\n%s\nvs %s" % (
                    scen, words, base or "?")), (first + x - 1) / 2))
                x += 1  # a gap between scenarios
            f.write("\n\n")
            ymax = min(max(top * 1.15, 1.25), PLOT_CAP * 1.1)
            pad = max(0, PLOT_MIN_SLOTS - (x - 1)) / 2
            impls.sort(key=plot_rank)
            lines += ["set title %s" % gp_str(ptitle),
                      "set xrange [%.1f:%.1f]" % (-0.7 - pad, x - 1.3 + pad),
                      "set yrange [0:%.3f]" % ymax,
                      "set xtics (%s)" % ", ".join(tics),
                      "plot " + ", \\\n  ".join(
                          ["%s index %d using 1:($2 < %g ? $2 : %g):3 with boxes "
                           "lc rgb variable" % (gp_str(data), index, PLOT_CAP, PLOT_CAP),
                           "1 with lines dt 2 lw 1.5 lc rgb 'black'",
                           "%s index %d using 1:($2 < %g ? $2 : %g):4 with labels "
                           "boxed offset 0,0.7 font ',8'" % (gp_str(data), index,
                                                             PLOT_CAP, PLOT_CAP)] +
                          ["NaN with boxes lc rgb '%s' title %s" % (plot_colour(i), gp_str(i))
                           for i in impls])]
    lines.append("unset multiplot")
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        p = subprocess.run([gnuplot, script], capture_output=True, text=True, timeout=60)
        ok = p.returncode == 0 and os.path.exists(png)
        if not ok:
            log("bench: gnuplot failed, %s not drawn: %s" % (png, p.stderr.strip()[-600:]))
    except (OSError, subprocess.SubprocessError) as e:
        ok = False
        log("bench: gnuplot failed, %s not drawn: %s" % (png, e))
    for name in (data, script):
        try:
            os.unlink(name)
        except OSError:
            pass
    return ok


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir")
    ap.add_argument("--out")
    ap.add_argument("--plot-only", metavar="JSON",
                    help="run nothing: draw JSON's results (a results.json of an "
                         "earlier run) into the PNG beside it, and exit")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--only", help="comma-separated scenarios, e.g. S1,S4 (S8 is "
                    "S8-perhost and S8-jar, each of which may be named alone)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=N",
                    help="override one count of the run (a key of FULL, e.g. "
                         "s8j_n=20000 while iterating); repeatable")
    ap.add_argument("--before", metavar="BINDIR",
                    help="another build's bench directory (say the commit before "
                         "a change), run beside this one as futurl-before in S1-S5")
    ap.add_argument("--hog", choices=("cpu", "mem"),
                    help="run one competing process for the whole run: a busy loop "
                         "(cpu) or one copying 64 MiB buffers back and forth (mem); "
                         "how S3's ratios move with the machine's other load "
                         "(bench/README.md, S3's spread)")
    ap.add_argument("--cli", help="the futurl command-line tool (default: "
                    "BINDIR/../cli/futurl)")
    args = ap.parse_args()
    if args.plot_only:
        with open(args.plot_only) as f:
            doc = json.load(f)
        png = os.path.splitext(args.plot_only)[0] + ".png"
        if not plot(doc, png):
            return 1
        print("wrote %s" % png)
        return 0
    if not args.bindir or not args.out:
        ap.error("--bindir and --out are required (or --plot-only JSON)")
    cfg = dict(SMOKE if args.smoke else FULL)
    if args.rounds:
        cfg["rounds"] = args.rounds
    for kv in args.set:
        key, _, value = kv.partition("=")
        if key not in cfg or not value.isdigit() or int(value) < 1:
            sys.exit("bench: --set %s: want KEY=N with a key of %s and N >= 1"
                     % (kv, ", ".join(sorted(cfg))))
        cfg[key] = int(value)
    only = set(args.only.split(",")) if args.only else {"S1", "S2", "S3", "S4", "S5",
                                                         "S6", "S7", "S8"}
    if "S8" in only:
        only |= {"S8-perhost", "S8-jar"}
    for prog in ("raw", "multi", "handoff", "futurl_bench"):
        if not os.access(os.path.join(args.bindir, prog), os.X_OK):
            sys.exit("bench: %s/%s is missing: build it first" % (args.bindir, prog))
    if not shutil.which("nginx") or not os.path.exists(ECHO_MODULE):
        sys.exit("bench: needs nginx and libnginx-mod-http-echo")
    peers = python_peers()
    if len(peers) < 2:
        log("bench: Python peers missing (python3-aiohttp / python3-requests): "
            "skipping them")
    has_curl = shutil.which("curl") is not None
    cli = args.cli or os.path.join(os.path.dirname(os.path.abspath(args.bindir)),
                                   "cli", "futurl")
    cli_peers = [i for i, ok in (
        ("futurl-cli", os.access(cli, os.X_OK)),
        ("xargs-curl", has_curl and shutil.which("xargs") is not None),
        ("wget2", shutil.which("wget2") is not None),
        ("aria2c", shutil.which("aria2c") is not None)) if ok]
    missing_cli = {"futurl-cli", "xargs-curl", "wget2", "aria2c"} - set(cli_peers)
    if missing_cli:
        log("bench: skipping command-line tools not found: %s (futurl: make cli; "
            "Debian wget2, aria2)" % ", ".join(sorted(missing_cli)))
    machine = machine_info()
    print("machine: " + machine_line(machine))
    if (machine["shm_used_mib"] or 0) > 1024:
        log("bench: warning: /dev/shm already holds %d MiB; S3's file writes go there "
            "and run slower beside it (clear what is stale)" % machine["shm_used_mib"])
    print("futurl library at %s (src/include %s); %s; %d round(s), medians" % (
        machine["futurl_commit"], machine["futurl_tree"],
        "SMOKE run" if args.smoke else "full run", cfg["rounds"]))

    t_start = time.monotonic()
    results, targets, notes = {}, [], {}
    filedir = None
    with tempfile.TemporaryDirectory(prefix="futurl-bench-") as tmp:
        nginx = Nginx(tmp, max(cfg["s8p_hosts"] - 1 if "S8-perhost" in only else 0,
                               cfg["s7_hosts"] - 1 if "S7" in only else 0),
                      tls="S6" in only)
        old_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        hog = None
        try:
            if args.hog:
                hog = subprocess.Popen([PY, "-c", HOGS[args.hog]])
                log("bench: a %s hog runs beside the run (pid %d)" % (args.hog, hog.pid))
            nginx.start()
            log("bench: nginx on 127.0.0.1:%d" % nginx.port)
            # Files go to a tmpfs when there is one: the tools, not the
            # disk's writeback, should set the pace of S3.
            if os.access("/dev/shm", os.W_OK):
                filedir = tempfile.mkdtemp(prefix="futurl-bench-", dir="/dev/shm")
            runner = Runner(args.bindir, nginx, tmp, cli, filedir)
            runner.before = args.before
            c_impls = ["raw", "futurl", "multi"] + (["curl-cli"] if has_curl else [])
            if args.before:
                c_impls.append("futurl-before")

            def http(scen, path, n, conc, py_n, window, extra_impls=(), slow_n=None,
                     files=False):
                log("bench: %s" % scen)
                entries = [(i, runner.http_argv(i, path, n, conc, window), n)
                           for i in c_impls + list(extra_impls)]
                entries += [(i, runner.http_argv(i, path, py_n, conc), py_n)
                            for i in peers]
                # The command-line tools side by side (S3: bodies to files).
                clis = list(cli_peers) + (["curl-cli-files"] if files and has_curl
                                          else [])
                for i in clis:
                    m = slow_n if i in SLOW_CLI and slow_n else n
                    entries.append((i, runner.cli_argv(i, path, m, conc, files), m))
                table = run_scenario(runner, cfg["rounds"], entries, "raw")
                cli_ratios(table, "curl-cli-files" if files else "curl-cli")
                return table

            if "S1" in only:
                results["S1"] = http("S1", "/small", cfg["s1_n"], cfg["s1_c"],
                                     cfg["s1_py_n"], 0, ["futurl-nojar", "futurl-queue", "futurl-free"],
                                     slow_n=cfg["s1_slow_n"])
            if "S2" in only:
                results["S2"] = http("S2", "/delay", cfg["s2_n"], cfg["s2_c"],
                                     cfg["s2_n"], 0, slow_n=cfg["s2_slow_n"])
                ideal = cfg["s2_n"] / cfg["s2_c"] * DELAY_S
                for s in results["S2"].values():
                    s["efficiency"] = (s["n"] / cfg["s2_c"] * DELAY_S) / s["seconds"]
                notes["S2_ideal_seconds"] = ideal
            if "S3" in only:
                results["S3"] = http("S3", "/big", cfg["s3_n"], cfg["s3_c"],
                                     cfg["s3_py_n"], cfg["s3_window"],
                                     ["raw-copy", "futurl-stream"],
                                     slow_n=cfg["s3_slow_n"], files=True)
            if "S4" in only:
                log("bench: S4")
                b = lambda prog: os.path.join(args.bindir, prog)
                bb = lambda prog: os.path.join(args.before or "", prog)
                n, w, lat = cfg["s4_n"], str(cfg["s4_w"]), cfg["s4_lat"]
                results["S4"] = run_scenario(runner, cfg["rounds"], [
                    ("handoff", [b("handoff"), "throughput", str(n), w], n),
                    ("futurl", [b("futurl_bench"), "throughput", str(n), w], n)] +
                    ([("futurl-before", [bb("futurl_bench"), "throughput", str(n), w], n)]
                     if args.before else []),
                    "handoff")
                results["S4-latency"] = run_scenario(runner, cfg["rounds"], [
                    ("handoff", [b("handoff"), "latency", str(lat), w], lat),
                    ("futurl", [b("futurl_bench"), "latency", str(lat), w], lat)] +
                    ([("futurl-before", [bb("futurl_bench"), "latency", str(lat), w], lat)]
                     if args.before else []),
                    "handoff")
                # The completion queue's delivery: job end -> loop thread,
                # beside job end -> a plain done-callback (same futures).
                results["S4-cq-latency"] = run_scenario(runner, cfg["rounds"], [
                    ("futurl-queue", [b("futurl_bench"), "cqlatency", str(lat), w], lat)],
                    "futurl-queue")
            if "S5" in only:
                log("bench: S5")
                n = cfg["s5_n"]
                argv = [os.path.join(args.bindir, "futurl_bench"), "memory",
                        runner.url("/small"), str(n)]
                entries = [("futurl", argv, n)]
                if args.before:
                    entries.append(("futurl-before",
                                    [os.path.join(args.before, "futurl_bench")] + argv[1:], n))
                results["S5"] = run_scenario(runner, cfg["rounds"], entries, "futurl")
            if "S6" in only:
                # TLS: the same /small over HTTPS, certificate verified
                # (BENCH_CAINFO), first with keep-alive, then against a
                # server that closes after every answer: a handshake each.
                log("bench: S6 TLS")
                os.environ["BENCH_CAINFO"] = nginx.ca_file
                try:
                    b = lambda prog: os.path.join(args.bindir, prog)
                    for scen, port, n in (("S6-keepalive", nginx.tls_port, cfg["s6_n"]),
                                          ("S6-handshake", nginx.tls_nokeep_port,
                                           cfg["s6_hs_n"])):
                        url, conc = "https://127.0.0.1:%d/small" % port, str(cfg["s6_c"])
                        results[scen] = run_scenario(runner, cfg["rounds"], [
                            ("raw", [b("raw"), url, str(n), conc], n),
                            ("futurl", [b("futurl_bench"), "http", url, str(n), conc,
                                        "0"], n),
                            ("multi", [b("multi"), url, str(n), conc], n)], "raw")
                finally:
                    del os.environ["BENCH_CAINFO"]
            if "S7" in only:
                # Many hosts: every request to one of s7_hosts nginx ports,
                # at random (one seeded list, the same for everyone). Each
                # worker's handle caches keepalive connections (libcurl's
                # default 5), multi shares one cache: made connections per
                # request is what the caches are worth.
                log("bench: S7 many hosts")
                ports = [nginx.port] + nginx.more_ports[:cfg["s7_hosts"] - 1]
                rnd = random.Random(7)
                hosts = os.path.join(tmp, "s7-hosts.txt")
                with open(hosts, "w") as f:
                    for _ in range(cfg["s7_n"]):
                        f.write("http://127.0.0.1:%d/small\n" % rnd.choice(ports))
                n, conc, big = cfg["s7_n"], str(cfg["s7_c"]), str(cfg["s7_hosts"])
                b = lambda prog: os.path.join(args.bindir, prog)
                fb = lambda keep: [b("futurl_bench"), "hosts", "@" + hosts, str(n), conc,
                                   str(keep)]
                results["S7"] = run_scenario(runner, cfg["rounds"], [
                    ("raw", [b("raw"), "@" + hosts, str(n), conc], n),
                    ("futurl", fb(5), n),
                    ("multi", [b("multi"), "@" + hosts, str(n), conc], n),
                    ("raw-keep" + big, [b("raw"), "@" + hosts, str(n), conc, big], n),
                    ("futurl-keep" + big, fb(cfg["s7_hosts"]), n),
                    ("multi-keep" + big, [b("multi"), "@" + hosts, str(n), conc, big], n)],
                    "raw")
            if "S8-perhost" in only:
                # The case: one host, so the limit runs the requests
                # one at a time (raw on one connection is the floor of
                # that); then s8p_hosts hosts, fewer than libcurl's 5 cached
                # connections per handle, where the limit leaves the run
                # its parallelism and the ratio is what waiting costs.
                log("bench: S8 per-host")
                n, conc = cfg["s8p_n"], str(cfg["s8p_c"])
                urls = [runner.url("/small")] + [
                    "http://127.0.0.1:%d/small" % p for p in nginx.more_ports]
                argv = lambda u, m: [os.path.join(args.bindir, "futurl_bench"), "perhost",
                                     ",".join(u), str(n), conc, str(m)]
                for scen, u, floor in (("S8-perhost", urls[:1], True),
                                         ("S8-perhost-hosts", urls, False)):
                    entries = [("futurl-nolimit", argv(u, 0), n),
                               ("futurl-max1", argv(u, 1), n)]
                    if floor:
                        entries.append(("raw-1conn", runner.http_argv("raw", "/small", n, 1),
                                        n))
                    results[scen] = run_scenario(runner, cfg["rounds"], entries,
                                                 "futurl-nolimit")
                    for s in results[scen].values():
                        s["time_ratio"] = (1 / s["ratio_to_raw"] if s["ratio_to_raw"]
                                           else None)

            if "S8-jar" in only:
                log("bench: S8 jar")
                b = os.path.join(args.bindir, "futurl_bench")
                w, fill = str(cfg["s8j_c"]), runner.url("/cookies50")

                def jar(path, n, fill_n, *flags):
                    return [b, "jar", runner.url(path), str(n), w, fill, str(fill_n)] + \
                        list(flags)

                # The floor: raw's handles given, before the clock, the
                # cookies futurl's jar keeps (the last 50, or all 3,000, of
                # the same fill), so libcurl alone builds the same Cookie
                # header and nginx receives it, with nothing synced.
                def raw(path, n, keep=0):
                    return [os.path.join(args.bindir, "raw"), runner.url(path), str(n), w] + (
                        ["cookies", fill, str(JAR_FILL), str(keep)] if keep else [])
                cap = JAR_MAX_COOKIES
                n = cfg["s8j_n"]
                results["S8-jar"] = run_scenario(runner, cfg["rounds"], [
                    ("futurl", jar("/small", n, 0), n),
                    ("futurl-jar-50", jar("/small", n, JAR_FILL), n),
                    ("futurl-jar-cap", jar("/small", n, JAR_FILL, "cap"), n),
                    ("raw", raw("/small", n), n),
                    ("raw-jar-50", raw("/small", n, JAR_PER_DOMAIN), n),
                    ("raw-jar-cap", raw("/small", n, cap), n)], "futurl")
                # Churn: raw's handles keep every cookie a response sets
                # (libcurl has no bound), 50 more a response, so raw-jar-cap
                # does somewhat more than a bounded handle would: a floor
                # from above. No raw-jar-50 here: growing from 50, it would
                # not be one.
                n = cfg["s8j_churn_n"]
                results["S8-jar-churn"] = run_scenario(runner, cfg["rounds"], [
                    ("futurl-nojar", jar("/cookies50", n, 0, "nojar"), n),
                    ("futurl-jar-50", jar("/cookies50", n, JAR_FILL), n),
                    ("futurl-jar-cap", jar("/cookies50", n, JAR_FILL, "cap"), n),
                    ("raw", raw("/cookies50", n), n),
                    ("raw-jar-cap", raw("/cookies50", n, cap), n)],
                    "futurl-nojar")
                for t in (results["S8-jar"], results["S8-jar-churn"]):
                    for impl, st in t.items():
                        st["time_ratio"] = (1 / st["ratio_to_raw"] if st["ratio_to_raw"]
                                            else None)
                        # futurl's row over raw's with the same cookies
                        floor = t.get({"futurl": "raw", "futurl-nojar": "raw"}.get(
                            impl, impl.replace("futurl-", "raw-")))
                        st["over_floor"] = (st["seconds"] / floor["seconds"]
                                            if floor and impl.startswith("futurl")
                                            else None)
        finally:
            if hog:
                hog.kill()
                hog.wait()
            if filedir:
                shutil.rmtree(filedir, ignore_errors=True)
            nginx.stop()
            signal.signal(signal.SIGTERM, old_term)

    # ---- tables and targets
    if "S1" in results:
        print_table("S1 throughput: %d GETs of a %d-byte JSON body, %d workers/"
                    "connections (Python peers: %d GETs)" % (
                        cfg["s1_n"], len(SMALL_BODY), cfg["s1_c"], cfg["s1_py_n"]),
                    results["S1"], [("vs curl", "ratio_to_curl_cli", ".3f")])
        s1 = results["S1"]
        f = s1.get("futurl", {})
        check(targets, "S1", f.get("ratio_to_raw"), ">=", 0.97, "futurl / raw req/s")
        if "multi" in s1 and f:
            check(targets, "S1", f["req_per_s"] / s1["multi"]["req_per_s"], ">=", 1.1,
                  "futurl / curl multi req/s")
        if "futurl-queue" in s1 and f:
            check(targets, "S1", s1["futurl-queue"]["req_per_s"] / f["req_per_s"], ">=",
                  0.97, "futurl-queue / futurl (gather) req/s")
        if "futurl-free" in s1 and s1.get("raw", {}).get("peak_rss_kb"):
            check(targets, "S1", s1["futurl-free"]["peak_rss_kb"] /
                  s1["raw"]["peak_rss_kb"], "<=", 2.0,
                  "futurl-free / raw peak RSS")
    if "S2" in results:
        print_table("S2 latency-bound: %d GETs of a body delayed %d ms, %d workers; "
                    "ideal %.4f s" % (cfg["s2_n"], DELAY_S * 1000, cfg["s2_c"],
                                      notes["S2_ideal_seconds"]),
                    results["S2"], [("effic.", "efficiency", ".3f"), ("vs curl", "ratio_to_curl_cli", ".3f")])
        f = results["S2"].get("futurl", {})
        check(targets, "S2", f.get("efficiency"), ">=", 0.95, "futurl efficiency")
        check(targets, "S2", f.get("ratio_to_raw"), ">=", 0.98, "futurl / raw req/s")
    if "S3" in results:
        print_table("S3 large bodies: %d GETs of %d MiB, %d workers (futurl buffers "
                    "each body, window %d; raw/multi/curl discard; Python peers: %d "
                    "GETs)" % (cfg["s3_n"], BIG_BYTES >> 20, cfg["s3_c"],
                               cfg["s3_window"], cfg["s3_py_n"]), results["S3"],
                    [("vs curl", "ratio_to_curl_cli", ".3f")])
        f = results["S3"].get("futurl", {})
        check(targets, "S3", f.get("ratio_to_raw"), ">=", 0.90, "futurl / raw req/s")
        k = results["S3"].get("raw-copy", {})
        if f.get("req_per_s") and k.get("req_per_s"):
            print("  S3 floor: futurl / raw-copy req/s = %.3f, raw-copy / raw = %.3f "
                  "(raw-copy copies each body once, as any client keeping bodies on "
                  "libcurl must; futurl's CPU beyond it shows when the cores are "
                  "shared)" % (f["req_per_s"] / k["req_per_s"], k.get("ratio_to_raw", 0)))
        f, g = results["S3"].get("futurl-stream", {}), results["S3"].get("futurl", {})
        if f.get("req_per_s") and g.get("req_per_s"):
            check(targets, "S3", f["req_per_s"] / g["req_per_s"], ">=", 0.90,
                  "futurl pull stream / futurl S3 req/s")
    # The command-line tool against curl --parallel and the other tools.
    for scen, bound in (("S1", 2.0), ("S3", 1.0)):
        f = results.get(scen, {}).get("futurl-cli")
        if f:
            check(targets, scen, f.get("ratio_to_curl_cli"), ">=", bound,
                  "futurl CLI / curl --parallel req/s")
    f = results.get("S2", {}).get("futurl-cli")
    if f:
        check(targets, "S2", f.get("efficiency"), ">=", 0.95, "futurl CLI efficiency")
        others = [s["efficiency"] for i, s in results["S2"].items()
                  if i in CLI_IMPLS and i != "futurl-cli"]
        if others:
            check(targets, "S2", f["efficiency"] / max(others), ">=", 1.0,
                  "futurl CLI / best other CLI effic.")
    if "S4" in results:
        print_table("S4 executor: %d no-op jobs through %d workers (ratio: to the "
                    "mutex+condvar hand-off)" % (cfg["s4_n"], cfg["s4_w"]),
                    results["S4"])
        print_table("S4 latency: %d single jobs, submit -> completion, idle pool" %
                    cfg["s4_lat"], results["S4-latency"],
                    [("p50 us", "p50_us", ".1f"), ("p99 us", "p99_us", ".1f"),
                     ("max us", "max_us", ".0f")])
        if "S4-cq-latency" in results:
            print_table("S4 completion queue: %d single jobs; job end -> entry popped by "
                        "a thread in poll(), beside job end -> done-callback" %
                        cfg["s4_lat"], results["S4-cq-latency"],
                        [("queue p50", "queue_p50_us", ".1f"),
                         ("queue p99", "queue_p99_us", ".1f"),
                         ("cb p50", "callback_p50_us", ".1f"),
                         ("cb p99", "callback_p99_us", ".1f")])
        f = results["S4"].get("futurl", {})
        check(targets, "S4", f.get("ratio_to_raw"), ">=", 1.0,
              "futurl / hand-off jobs/s")
    if "S5" in results:
        s = results["S5"]["futurl"]
        print("\nS5 memory: %d queued GET futures, workers held" % cfg["s5_n"])
        print("  RSS per queued future: %.0f bytes; malloc bytes in use per future: "
              "%.0f bytes (both excluding the URL's %d bytes)" % (
                  s["rss_bytes_per_future"], s["heap_bytes_per_future"],
                  s["url_bytes"]))
        if "S1" in results:
            print("  peak RSS in S1: " + ", ".join(
                "%s %.1f MiB" % (i, v["peak_rss_kb"] / 1024)
                for i, v in results["S1"].items()))
            s["s1_peak_rss_kb"] = {i: v["peak_rss_kb"] for i, v in results["S1"].items()}
        check(targets, "S5", s["rss_bytes_per_future"], "<=", 512,
              "RSS bytes per queued GET future")
    for scen, what in (("S6-keepalive", "kept alive"),
                       ("S6-handshake", "the server closes after each answer: a new "
                                        "connection and a full handshake each")):
        if scen in results:
            print_table("%s: %d HTTPS GETs of /small (nginx, TLS, ECDSA P-256, HTTP/1.1), "
                        "%d workers/transfers at once, %s" % (
                            scen, results[scen]["raw"]["n"], cfg["s6_c"], what),
                        results[scen])
            t = results[scen]
            if t.get("futurl") and t.get("multi"):
                check(targets, "S6", t["futurl"]["req_per_s"] / t["multi"]["req_per_s"],
                      ">=", 1.0, "%s futurl / curl multi req/s" % scen)
    if "S7" in results:
        print_table("S7 many hosts: %d GETs of /small spread at random over %d hosts "
                    "(nginx ports), %d workers/transfers at once; -keep%d: each worker's "
                    "handle (multi: the shared cache) keeps %d idle connections instead of "
                    "libcurl's default (5 a handle; multi 4 x 8 but at most 8 open)"
                    % (cfg["s7_n"], cfg["s7_hosts"], cfg["s7_c"], cfg["s7_hosts"],
                       cfg["s7_hosts"]), results["S7"],
                    [("conn/req", "conns_per_req", ".3f")])
        s7 = results["S7"]
        big = "-keep%d" % cfg["s7_hosts"]
        for a, b in (("futurl", "multi"), ("futurl" + big, "multi" + big),
                     ("futurl" + big, "multi")):
            if s7.get(a, {}).get("req_per_s") and s7.get(b, {}).get("req_per_s"):
                check(targets, "S7", s7[a]["req_per_s"] / s7[b]["req_per_s"], ">=", 1.0,
                      "%s / %s req/s" % (a, b))
    if "S8-perhost" in results:
        print_table("S8 per-host limit: %d GETs of /small, one host, %d workers, "
                    "max_per_host=1 vs none (ratio: req/s to none; time x: seconds "
                    "over none's; raw-1conn: one transfer at a time, no library)" % (
                        cfg["s8p_n"], cfg["s8p_c"]), results["S8-perhost"],
                    [("time x", "time_ratio", ".3f")])
        check(targets, "S8", results["S8-perhost"].get("futurl-max1", {}).get("time_ratio"),
              "<=", 1.5, "max_per_host=1 / none, seconds")
        print_table("S8-perhost-hosts: the same over %d hosts (nginx ports), requests in "
                    "turn" % cfg["s8p_hosts"], results["S8-perhost-hosts"],
                    [("time x", "time_ratio", ".3f")])
        check(targets, "S8", results["S8-perhost-hosts"].get("futurl-max1", {}).get("time_ratio"),
              "<=", 1.5, "%d hosts: max_per_host=1 / none" % cfg["s8p_hosts"])
    if "S8-jar" in results:
        jar_cols = [("time x", "time_ratio", ".3f"), ("x floor", "over_floor", ".3f")]
        print_table("S8 a full cookie jar: %d GETs of /small through %d workers with an "
                    "empty jar, after %d cookies were set with the default limits "
                    "(jar-50: this host keeps 50) and with one host allowed the whole "
                    "jar (jar-cap: 3,000; libcurl sends at most 150 a request); raw-jar-*: "
                    "libcurl alone, its handles given the same cookies before the clock "
                    "(time x: seconds over futurl's with an empty jar; x floor: futurl's "
                    "seconds over raw's with the same cookies)" % (
                        cfg["s8j_n"], cfg["s8j_c"], JAR_FILL * COOKIES_PER_RESPONSE),
                    results["S8-jar"], jar_cols)
        print_table("S8 jar churn: %d GETs of /cookies50 (each response sets %d new "
                    "cookies, the jar evicts as many), jar off vs. jar-50 vs. jar-cap; "
                    "raw-jar-cap: libcurl alone from the same 3,000 cookies, keeping "
                    "every one set (no bound, no sync)"
                    % (cfg["s8j_churn_n"], COOKIES_PER_RESPONSE), results["S8-jar-churn"],
                    jar_cols)
        # Per request, on the clock only (cpu us/req above also counts the fill).
        for key, base, impls in (
                ("S8-jar", "futurl", ("futurl-jar-50", "futurl-jar-cap", "raw",
                                      "raw-jar-50", "raw-jar-cap")),
                ("S8-jar-churn", "futurl-nojar", ("futurl-jar-50", "futurl-jar-cap",
                                                  "raw", "raw-jar-cap"))):
            t = results[key]
            for impl in impls:
                if base in t and impl in t and "clock_cpu_s" in t[impl]:
                    per = lambda s, k: s[k] / s["n"] * 1e6
                    added = per(t[impl], "seconds") - per(t[base], "seconds")
                    cpu = per(t[impl], "clock_cpu_s") - per(t[base], "clock_cpu_s")
                    t[impl]["added_us_per_req"] = added
                    t[impl]["added_cpu_us_per_req"] = cpu
                    print("  %s %s: %.1f us of wall time and %.1f us of CPU per request "
                          "more than %s (%.1f us CPU each)" % (
                              key, impl, added, cpu, base, per(t[base], "clock_cpu_s")))
        # Issue #20 asks for jar-cap within 1.5 x the seconds of the same run
        # without cookies. libcurl alone sending the same cookies is the
        # floor of that: when raw-jar-cap / raw is above 1.5 no client built
        # on this libcurl can meet it, so futurl is also held to the floor.
        t = results["S8-jar"]
        secs = lambda impl: t.get(impl, {}).get("seconds")
        for jar_impl, floor_impl in (("futurl-jar-50", "raw-jar-50"),
                                     ("futurl-jar-cap", "raw-jar-cap")):
            if secs(jar_impl) and secs("futurl"):
                check(targets, "S8", secs(jar_impl) / secs("futurl"), "<=", 1.5,
                      "%s / empty jar, seconds" % jar_impl[len("futurl-"):])
            if secs(floor_impl) and secs("raw"):
                print("  S8-jar floor: %s / raw = %.3f x the seconds (libcurl alone, "
                      "the same cookies; the 1.5 x above is %s for any client of it)"
                      % (floor_impl, secs(floor_impl) / secs("raw"),
                         "within reach" if secs(floor_impl) / secs("raw") <= 1.5
                         else "out of reach"))
            if secs(jar_impl) and secs(floor_impl):
                check(targets, "S8", secs(jar_impl) / secs(floor_impl), "<=", 1.5,
                      "%s / %s, seconds" % (jar_impl[len("futurl-"):], floor_impl))
    print("\ntargets%s:" % (" (smoke run: counts too small to judge)"
                            if args.smoke else ""))
    for t in targets:
        print("  %-3s %-36s %s %-6s -> %s" % (
            t["target"], t["what"], t["op"], t["bound"],
            "%s (%s)" % (fmt(t["value"], ".3f"), "met" if t["met"] else "NOT met")))
    elapsed = time.monotonic() - t_start
    machine["loadavg_after"] = capture(["cat", "/proc/loadavg"])
    print("\nwall time %.0f s; load average before %s, after %s (other work on the "
          "machine skews the numbers)" % (elapsed, machine["loadavg_before"],
                                            machine["loadavg_after"]))

    doc = {"meta": {"machine": machine, "config": cfg, "smoke": args.smoke,
                    "hog": args.hog,
                    "python_peers": peers, "notes": notes,
                    "elapsed_s": round(elapsed, 1),
                    "ratio_to_raw": "req/s over the baseline's req/s in the same run "
                                    "(S4: over the hand-off)",
                    "date": time.strftime("%Y-%m-%d %H:%M:%S %z")},
           "results": results, "targets": targets}
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s" % args.out)
    png = os.path.splitext(args.out)[0] + ".png"
    if plot(doc, png):  # when it cannot, it says why; the run has not failed
        print("wrote %s" % png)
    missing = [i for i in ["raw", "futurl"] if "S1" in results and i not in results["S1"]]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
