/*
 * quick — the everyday job on one screen: 50 GETs at once, each one's
 * status and a field of its JSON, 1 s per attempt and 3 attempts, every
 * failure reported with the URL it belongs to. The README's first HTTP
 * example; issue #19 counts its lines.
 *
 * Python (aiohttp), without the retries, which aiohttp does not have:
 *
 *     async def get(s, url):
 *         async with s.get(url, timeout=aiohttp.ClientTimeout(total=1)) as r:
 *             return r.status, (await r.json())["args"]["n"]
 *     results = await asyncio.gather(*(get(s, u) for u in urls),
 *                                    return_exceptions=True)
 *
 * futurl_get_all() sends every GET with the per-call options from a client
 * made for the call (requests.get() beside a Session; a program with more
 * than one batch makes a client and calls futurl_gather_get()) and waits
 * for all: each URL gets its own future, even one that could not be sent.
 * futurl_future_json_string() gives the future's own failure first (a
 * timeout after the last attempt, a refused connection ...), then walks
 * "args.n" and says what went wrong there (not JSON, no such member, not a
 * string), where cJSON hands back NULL. futurl_strerror() names each
 * failure; futurl_future_errmsg() holds the details (libcurl's words).
 *
 * Run:  make serve                      (the local httpbin, in another terminal)
 *       build/plain/examples/quick [BASE_URL]
 */
#include <futurl.h>

#include <stdio.h>

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : "http://127.0.0.1:8765"; /* make serve */
    char urls[50][64];
    const char *list[50], *n;
    for (int i = 0; i < 50; i++)
        snprintf(urls[i], sizeof urls[i], "%s/get?n=%d", base, i), list[i] = urls[i];
    futurl_request_options ro = {.timeout_ms = 1000, .max_attempts = 3};
    futurl_future *fs[50];
    futurl_status st = futurl_get_all(list, 50, &ro, fs, NULL);
    if (st != FUTURL_OK) {
        fprintf(stderr, "quick: %s\n", futurl_strerror(st));
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < 50; i++) {
        if ((st = futurl_future_json_string(fs[i], "args.n", &n)) == FUTURL_OK)
            printf("%s: HTTP %ld n=%s\n", list[i], futurl_future_http_status(fs[i]), n);
        else
            bad = fprintf(stderr, "%s: %s (make serve?)\n", list[i], futurl_strerror(st));
        futurl_future_free(fs[i]);
    }
    return bad != 0;
}
