#!/usr/bin/python3
"""bench/peers.py — the Python peers of the HTTP scenarios (S1-S3).

    peers.py aiohttp URL REQUESTS CONCURRENCY
        asyncio + aiohttp: one ClientSession whose TCPConnector(limit=N)
        caps connections at N; all requests are gathered at once and every
        body is read into memory.
    peers.py requests URL REQUESTS CONCURRENCY
        requests in a ThreadPoolExecutor(N) through loop.run_in_executor
        (the model futurl brings to C): one requests.Session per thread,
        every body read into memory, all futures gathered.

The time runs from before the session/pool is made to the end of the
gather. Prints one JSON result line in the format of bench/common.c.
Run with Debian's /usr/bin/python3 (python3-aiohttp, python3-requests).
"""
import asyncio
import json
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def peak_rss_kb():
    """VmHWM: the peak RSS of this process image (ru_maxrss would also count
    the driver that exec'ed us)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def report(impl, n, results, seconds, opts):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    ok = sum(1 for status, _ in results if status == 200)
    print(json.dumps({
        "impl": impl, "n": n, "ok": ok,
        "bytes": sum(size for _, size in results),
        "seconds": seconds, "cpu_s": ru.ru_utime + ru.ru_stime,
        "peak_rss_kb": peak_rss_kb(), "opts": opts}), flush=True)
    return 0 if ok == n else 1


async def run_aiohttp(url, n, conc):
    import aiohttp
    t0 = time.monotonic()
    connector = aiohttp.TCPConnector(limit=conc)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def one():
            async with session.get(url) as resp:
                body = await resp.read()
                return resp.status, len(body)
        results = await asyncio.gather(*(one() for _ in range(n)))
    return time.monotonic() - t0, results


async def run_requests(url, n, conc):
    import requests
    local = threading.local()

    def one():
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        resp = session.get(url)
        return resp.status_code, len(resp.content)

    t0 = time.monotonic()
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=conc) as pool:
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, one) for _ in range(n)))
    return time.monotonic() - t0, results


def main(argv):
    if len(argv) != 5 or argv[1] not in ("aiohttp", "requests"):
        print("usage: peers.py aiohttp|requests URL REQUESTS CONCURRENCY",
              file=sys.stderr)
        return 2
    impl, url, n, conc = argv[1], argv[2], int(argv[3]), int(argv[4])
    if impl == "aiohttp":
        import aiohttp
        seconds, results = asyncio.run(run_aiohttp(url, n, conc))
        opts = ("aiohttp %s defaults: Accept-Encoding gzip/deflate, keep-alive, "
                "TCPConnector(limit=N), body read" % aiohttp.__version__)
    else:
        import requests
        seconds, results = asyncio.run(run_requests(url, n, conc))
        opts = ("requests %s defaults: Accept-Encoding gzip/deflate, keep-alive, "
                "Session per thread, ThreadPoolExecutor(N) via run_in_executor, "
                "body read" % requests.__version__)
    return report(impl if impl == "aiohttp" else "requests-executor", n, results,
                  seconds, opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
