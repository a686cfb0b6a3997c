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
 * futurl_gather_get() sends every GET with the per-call options and waits
 * for all: each URL gets its own future, even one that could not be sent.
 * futurl_response_json_string() walks "args.n" and says what went wrong
 * (not JSON, no such member, not a string), where cJSON hands back NULL.
 *
 * Run:  make serve                      (the local httpbin, in another terminal)
 *       build/plain/examples/quick [BASE_URL]
 */
#include <futurl.h>

#include <stdio.h>

int main(int argc, char **argv) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.base_url = argc > 1 ? argv[1] : "http://127.0.0.1:8765"; /* make serve */
    char urls[50][32];
    const char *list[50];
    for (int i = 0; i < 50; i++) {
        snprintf(urls[i], sizeof urls[i], "/get?n=%d", i);
        list[i] = urls[i];
    }
    futurl_request_options ro = {.timeout_ms = 1000, .max_attempts = 3};
    futurl_future *fs[50];
    futurl_client *c;
    futurl_status st = futurl_client_create(&o, &c);
    if (st == FUTURL_OK)
        st = futurl_gather_get(c, list, 50, &ro, fs, NULL);
    if (st != FUTURL_OK) {
        fprintf(stderr, "quick: %s\n", futurl_strerror(st));
        futurl_client_destroy(c); /* NULL if create failed: nothing to do */
        return 1;
    }
    int failed = 0;
    for (int i = 0; i < 50; i++) {
        const futurl_response *r = futurl_future_response(fs[i]);
        const char *n;
        if ((st = futurl_future_status(fs[i])) == FUTURL_OK)
            st = futurl_response_json_string(r, "args.n", &n);
        if (st == FUTURL_OK)
            printf("%s: HTTP %ld, n = %s\n", urls[i], futurl_response_status(r), n);
        else
            failed = fprintf(stderr, "%s: %s %s\n", urls[i], futurl_err_name(st),
                             futurl_future_errmsg(fs[i]));
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
    if (failed)
        fprintf(stderr, "Is the server up? Start it with `make serve`.\n");
    return failed ? 1 : 0;
}
