#!/usr/bin/python3
"""bench/run.py — the driver of `make bench` and `make bench-smoke`.

Starts nginx (Debian's, with the echo module) on an ephemeral 127.0.0.1
port from a config generated in a temporary directory, then for each
scenario runs every implementation as its own process, one run per
implementation per round, rotating their order every round. It reports
the median over the rounds and the ratio to the scenario's baseline measured
in the same run (raw for S1-S3, the minimal hand-off for S4), prints a
table and the machine, writes the results as JSON (scenario ->
implementation -> seconds, req/s, ratio_to_raw, peak_rss_kb, ...) and, when
gnuplot is installed, a PNG beside it. nginx is always stopped on exit.

Times come from each program's own clock around its work (setup of the pool
included, process start excluded), except for the curl command-line tool,
which is timed around the whole process (start-up and reading its URL list
included). CPU seconds come from wait4() for every process; peak RSS is
the process's VmHWM (its own report, or sampled from /proc for curl);
server_cpu_s is the CPU nginx used during the run.

Standard library only: run it with Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import platform
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
RUN_TIMEOUT_S = 300

# Counts per scenario. Python peers run fewer requests in S1/S3 so the full
# run fits in about 3 minutes; their req/s is still comparable.
FULL = dict(rounds=4, s1_n=50000, s1_c=8, s1_py_n=10000, s2_n=1000, s2_c=32,
            s3_n=2000, s3_c=8, s3_py_n=500, s3_window=64, s4_n=1000000, s4_w=4,
            s4_lat=20000, s5_n=100000)
SMOKE = dict(rounds=1, s1_n=400, s1_c=8, s1_py_n=200, s2_n=64, s2_c=32,
             s3_n=16, s3_c=8, s3_py_n=8, s3_window=64, s4_n=20000, s4_w=4,
             s4_lat=500, s5_n=2000)


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
        location = /small {{
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
    """nginx on an ephemeral port; retries when the port was taken."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None
        self.port = None
        with open(os.path.join(tmp, "big.bin"), "wb") as f:
            f.write(os.urandom(BIG_BYTES))

    def start(self, attempts=5):
        for _ in range(attempts):
            port = free_port()
            conf = os.path.join(self.tmp, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(
                    echo=ECHO_MODULE, tmp=self.tmp, port=port, small=SMALL_BODY,
                    delay=DELAY_S, user="user root;" if os.geteuid() == 0 else ""))
            errlog = os.path.join(self.tmp, "error.log")
            self.proc = subprocess.Popen(
                ["nginx", "-p", self.tmp, "-c", conf, "-e", errlog],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                if port_open(port):
                    self.port = port
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
    def __init__(self, bindir, nginx, tmp):
        self.bindir = bindir
        self.nginx = nginx
        self.tmp = tmp

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.nginx.port, path)

    def curl_config(self, path, n):
        name = os.path.join(self.tmp, "curl-%s-%d.cfg" % (path.strip("/"), n))
        if not os.path.exists(name):
            entry = 'url = "%s"\noutput = "/dev/null"\n' % self.url(path)
            with open(name, "w") as f:
                f.write(entry * n)
        return name

    def http_argv(self, impl, path, n, conc, window=0):
        url = self.url(path)
        b = lambda prog: os.path.join(self.bindir, prog)
        if impl == "raw":
            return [b("raw"), url, str(n), str(conc)]
        if impl == "multi":
            return [b("multi"), url, str(n), str(conc)]
        if impl == "futurl":
            return [b("futurl_bench"), "http", url, str(n), str(conc), str(window)]
        if impl == "futurl-nojar":
            return [b("futurl_bench"), "http", url, str(n), str(conc), str(window),
                    "nojar"]
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
        cpu0 = self.nginx.cpu_seconds()
        rc, out, err, wall, ru, hwm = run_proc(argv)
        server_cpu = self.nginx.cpu_seconds() - cpu0
        if impl == "curl-cli":
            ok = sum(1 for line in out.splitlines() if line.strip() == "200")
            res = {"impl": impl, "n": n, "ok": ok, "seconds": wall,
                   "opts": "curl %s --parallel --parallel-max N --compressed, "
                           "-K list of N url/output=/dev/null pairs; timed around "
                           "the process" % curl_cli_version()}
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
    for key in ("p50_us", "p99_us", "max_us", "rss_bytes_per_future",
                "heap_bytes_per_future", "queued", "url_bytes"):
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
    }


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


def plot(results, png):
    if not shutil.which("gnuplot"):
        return False
    rows = []
    for scen in ("S1", "S2", "S3", "S4"):
        for impl, s in results.get(scen, {}).items():
            if s.get("ratio_to_raw") is not None:
                rows.append((scen, impl, s["ratio_to_raw"]))
    data = png + ".dat"
    with open(data, "w") as f:
        for scen, impl, ratio in rows:
            f.write('"%s %s" %f\n' % (scen, impl, ratio))
    script = ("set terminal png size 1200,500; set output '%s';"
              "set title 'throughput relative to the baseline (raw; S4: hand-off)';"
              "set style fill solid 0.6; set boxwidth 0.7; set yrange [0:*];"
              "set xtics rotate by -40 font ',9'; set grid y;"
              "plot '%s' using 0:2:xtic(1) with boxes notitle" % (png, data))
    ok = subprocess.run(["gnuplot", "-e", script], capture_output=True).returncode == 0
    os.unlink(data)
    return ok


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--only", help="comma-separated scenarios, e.g. S1,S4")
    args = ap.parse_args()
    cfg = dict(SMOKE if args.smoke else FULL)
    if args.rounds:
        cfg["rounds"] = args.rounds
    only = set(args.only.split(",")) if args.only else {"S1", "S2", "S3", "S4", "S5"}
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
    machine = machine_info()
    print("machine: %d cpus, %s, kernel %s, %s; libcurl %s, curl %s, nginx %s; %s"
          % (machine["nproc"], machine["cpu_model"], machine["kernel"], machine["os"],
             machine["libcurl"], machine["curl_cli"], machine["nginx"], machine["cc"]))
    print("futurl library at %s (src/include %s); %s; %d round(s), medians" % (
        machine["futurl_commit"], machine["futurl_tree"],
        "SMOKE run" if args.smoke else "full run", cfg["rounds"]))

    t_start = time.monotonic()
    results, targets, notes = {}, [], {}
    with tempfile.TemporaryDirectory(prefix="futurl-bench-") as tmp:
        nginx = Nginx(tmp)
        old_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            nginx.start()
            log("bench: nginx on 127.0.0.1:%d" % nginx.port)
            runner = Runner(args.bindir, nginx, tmp)
            c_impls = ["raw", "futurl", "multi"] + (["curl-cli"] if has_curl else [])

            def http(scen, path, n, conc, py_n, window, extra_impls=()):
                log("bench: %s" % scen)
                entries = [(i, runner.http_argv(i, path, n, conc, window), n)
                           for i in c_impls + list(extra_impls)]
                entries += [(i, runner.http_argv(i, path, py_n, conc), py_n)
                            for i in peers]
                return run_scenario(runner, cfg["rounds"], entries, "raw")

            if "S1" in only:
                results["S1"] = http("S1", "/small", cfg["s1_n"], cfg["s1_c"],
                                     cfg["s1_py_n"], 0, ["futurl-nojar"])
            if "S2" in only:
                results["S2"] = http("S2", "/delay", cfg["s2_n"], cfg["s2_c"],
                                     cfg["s2_n"], 0)
                ideal = cfg["s2_n"] / cfg["s2_c"] * DELAY_S
                for s in results["S2"].values():
                    s["efficiency"] = (s["n"] / cfg["s2_c"] * DELAY_S) / s["seconds"]
                notes["S2_ideal_seconds"] = ideal
            if "S3" in only:
                results["S3"] = http("S3", "/big", cfg["s3_n"], cfg["s3_c"],
                                     cfg["s3_py_n"], cfg["s3_window"])
            if "S4" in only:
                log("bench: S4")
                b = lambda prog: os.path.join(args.bindir, prog)
                n, w, lat = cfg["s4_n"], str(cfg["s4_w"]), cfg["s4_lat"]
                results["S4"] = run_scenario(runner, cfg["rounds"], [
                    ("handoff", [b("handoff"), "throughput", str(n), w], n),
                    ("futurl", [b("futurl_bench"), "throughput", str(n), w], n)],
                    "handoff")
                results["S4-latency"] = run_scenario(runner, cfg["rounds"], [
                    ("handoff", [b("handoff"), "latency", str(lat), w], lat),
                    ("futurl", [b("futurl_bench"), "latency", str(lat), w], lat)],
                    "handoff")
            if "S5" in only:
                log("bench: S5")
                n = cfg["s5_n"]
                argv = [os.path.join(args.bindir, "futurl_bench"), "memory",
                        runner.url("/small"), str(n)]
                results["S5"] = run_scenario(runner, cfg["rounds"],
                                             [("futurl", argv, n)], "futurl")
        finally:
            nginx.stop()
            signal.signal(signal.SIGTERM, old_term)

    # ---- tables and targets
    if "S1" in results:
        print_table("S1 throughput: %d GETs of a %d-byte JSON body, %d workers/"
                    "connections (Python peers: %d GETs)" % (
                        cfg["s1_n"], len(SMALL_BODY), cfg["s1_c"], cfg["s1_py_n"]),
                    results["S1"])
        s1 = results["S1"]
        f = s1.get("futurl", {})
        check(targets, "S1", f.get("ratio_to_raw"), ">=", 0.97, "futurl / raw req/s")
        if "multi" in s1 and f:
            check(targets, "S1", f["req_per_s"] / s1["multi"]["req_per_s"], ">=", 1.1,
                  "futurl / curl multi req/s")
    if "S2" in results:
        print_table("S2 latency-bound: %d GETs of a body delayed %d ms, %d workers; "
                    "ideal %.4f s" % (cfg["s2_n"], DELAY_S * 1000, cfg["s2_c"],
                                      notes["S2_ideal_seconds"]),
                    results["S2"], [("effic.", "efficiency", ".3f")])
        f = results["S2"].get("futurl", {})
        check(targets, "S2", f.get("efficiency"), ">=", 0.95, "futurl efficiency")
        check(targets, "S2", f.get("ratio_to_raw"), ">=", 0.98, "futurl / raw req/s")
    if "S3" in results:
        print_table("S3 large bodies: %d GETs of %d MiB, %d workers (futurl buffers "
                    "each body, window %d; raw/multi/curl discard; Python peers: %d "
                    "GETs)" % (cfg["s3_n"], BIG_BYTES >> 20, cfg["s3_c"],
                               cfg["s3_window"], cfg["s3_py_n"]), results["S3"])
        f = results["S3"].get("futurl", {})
        check(targets, "S3", f.get("ratio_to_raw"), ">=", 0.90, "futurl / raw req/s")
    if "S4" in results:
        print_table("S4 executor: %d no-op jobs through %d workers (ratio: to the "
                    "mutex+condvar hand-off)" % (cfg["s4_n"], cfg["s4_w"]),
                    results["S4"])
        print_table("S4 latency: %d single jobs, submit -> completion, idle pool" %
                    cfg["s4_lat"], results["S4-latency"],
                    [("p50 us", "p50_us", ".1f"), ("p99 us", "p99_us", ".1f"),
                     ("max us", "max_us", ".0f")])
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
    print("\ntargets%s:" % (" (smoke run: counts too small to judge)"
                            if args.smoke else ""))
    for t in targets:
        print("  %-3s %-34s %s %-6s -> %s" % (
            t["target"], t["what"], t["op"], t["bound"],
            "%s (%s)" % (fmt(t["value"], ".3f"), "met" if t["met"] else "NOT met")))
    elapsed = time.monotonic() - t_start
    machine["loadavg_after"] = capture(["cat", "/proc/loadavg"])
    print("\nwall time %.0f s; load average before %s, after %s (other work on the "
          "machine skews the numbers)" % (elapsed, machine["loadavg_before"],
                                            machine["loadavg_after"]))

    doc = {"meta": {"machine": machine, "config": cfg, "smoke": args.smoke,
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
    if plot(results, png):
        print("wrote %s" % png)
    missing = [i for i in ["raw", "futurl"] if "S1" in results and i not in results["S1"]]
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
