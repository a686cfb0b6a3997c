/*
 * proxy — requests through a forward proxy that wants credentials: the
 * proxy, its user name and password, and the hosts that bypass it are all
 * client options.
 *
 * Python (httpx), with the list of direct hosts from NO_PROXY:
 *
 *     async with httpx.AsyncClient(proxy="http://ada:s3cret@127.0.0.1:8766") as c:
 *         r = await c.get("http://127.0.0.1:8765/headers")
 *
 * Three GETs of the same httpbin page show who answers each:
 *   1. with the credentials: the proxy forwards the request, the origin
 *      answers. libcurl sends them as Proxy-Authorization to the proxy
 *      alone, which removes it, so the origin (httpbin's /headers echoes
 *      what it got) never sees them;
 *   2. without them: the proxy itself answers 407 and names the scheme it
 *      wants in Proxy-Authenticate. A 407 is a response like any other,
 *      not a failed future;
 *   3. without them, the origin's host in no_proxy: the request goes
 *      straight to the origin, which answers; the proxy is never asked.
 * (?part=N tells the three apart in the proxy's log.)
 *
 * A plain http:// URL goes to the proxy in absolute form ("GET
 * http://host:port/path HTTP/1.1"): the proxy reads the whole request. An
 * https:// URL goes through the same proxy by "CONNECT host:port", the
 * credentials on the CONNECT: the proxy then only relays bytes, and TLS runs
 * end to end between this program and the origin inside the tunnel, so the
 * proxy sees neither path, headers nor body. (This demo has no TLS origin;
 * test/test_proxy.c shows CONNECT against an HTTPS httpbin. An https://
 * proxy's own certificate is checked against the option proxy_ca_file.)
 *
 * The credentials come from PROXY_USER and PROXY_PASSWORD in the
 * environment, by default the ones `make serve-proxy` wants; never from
 * the command line, where every user of the machine can read them (ps).
 * The proxy option wins over http_proxy and friends in the environment,
 * but the environment's no_proxy is joined with the option's list; this
 * demo sends loopback traffic through the proxy on purpose, so it sets the
 * environment's list aside (the README suggests 127.0.0.1 there).
 *
 * Run:  make serve  and  make serve-proxy   (in two other terminals)
 *       build/plain/examples/proxy [PROXY_URL [BASE_URL]]
 */
#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PROXY "http://127.0.0.1:8766" /* where `make serve-proxy` listens */
#define DEFAULT_BASE  "http://127.0.0.1:8765" /* where `make serve` listens */

/* The host of url ("127.0.0.1" of "http://127.0.0.1:8765"), for no_proxy.
 * Enough for this demo: no user info, no IPv6 literal. */
static void host_of(const char *url, char *host, size_t cap) {
    const char *start = strstr(url, "://");
    start = start != NULL ? start + 3 : url;
    snprintf(host, cap, "%.*s", (int)strcspn(start, ":/?#"), start);
}

/* GET base/headers?part=N on a client made from opts, for this request
 * alone, and wait. Returns the finished future (the caller frees it; it
 * outlives its client), or NULL when the request could not be sent. */
static futurl_future *get_part(const futurl_client_options *opts, const char *base,
                               int part) {
    char url[256];
    snprintf(url, sizeof url, "%s/headers?part=%d", base, part);
    printf("   GET %s\n", url);
    futurl_client *c;
    futurl_future *f = NULL;
    futurl_status st = futurl_client_create(opts, &c);
    if (st == FUTURL_OK) {
        if ((st = futurl_get(c, url, &f)) == FUTURL_OK)
            (void)futurl_future_wait(f); /* its outcome is read by the caller */
        futurl_client_destroy(c);
    }
    if (st != FUTURL_OK)
        fprintf(stderr, "proxy: GET %s: %s\n", url, futurl_strerror(st));
    return f;
}

int main(int argc, char **argv) {
    const char *proxy = argc > 1 ? argv[1] : DEFAULT_PROXY;
    const char *base = argc > 2 ? argv[2] : DEFAULT_BASE;
    const char *user = getenv("PROXY_USER"), *password = getenv("PROXY_PASSWORD");
    if (user == NULL) {
        user = "ada"; /* what `make serve-proxy` wants */
        password = "s3cret";
    }
    if (unsetenv("no_proxy") != 0 || unsetenv("NO_PROXY") != 0) {
        perror("proxy: unsetenv");
        return EXIT_FAILURE;
    }
    int rc = EXIT_FAILURE;

    /* 1. Through the proxy, with the credentials. */
    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.proxy = proxy;
    opts.proxy_username = user;
    opts.proxy_password = password; /* copied at create, as every string */
    printf("1. through %s as %s\n", proxy, user);
    futurl_future *f = get_part(&opts, base, 1);
    if (f == NULL)
        return EXIT_FAILURE;
    long status = futurl_future_http_status(f);
    if (futurl_future_status(f) != FUTURL_OK || status != 200) {
        if (status != 0)
            fprintf(stderr, "   HTTP %ld, not the origin's 200\n", status);
        else
            fprintf(stderr, "   %s\n", futurl_future_errmsg(f));
        if (status == 407)
            fprintf(stderr, "The proxy wants other credentials: set PROXY_USER and "
                            "PROXY_PASSWORD.\n");
        else
            fprintf(stderr,
                    "Expected httpbin at %s, through a proxy at %s.\n"
                    "Start both in two other terminals with `make serve` and\n"
                    "`make serve-proxy`, or pass them: %s PROXY_URL BASE_URL\n",
                    base, proxy, argv[0]);
        goto out;
    }
    const char *seen;
    futurl_status st = futurl_future_json_string(f, "headers.Proxy-Authorization", &seen);
    printf("   HTTP %ld from the origin, which saw Proxy-Authorization: %s\n", status,
           st == FUTURL_OK ? seen : "none");
    futurl_future_free(f);

    /* 2. The same proxy, no credentials. */
    opts.proxy_username = opts.proxy_password = NULL;
    printf("2. through %s without credentials\n", proxy);
    if ((f = get_part(&opts, base, 2)) == NULL)
        return EXIT_FAILURE;
    const futurl_response *resp = futurl_future_response(f);
    const char *wants =
        resp != NULL ? futurl_response_header(resp, "Proxy-Authenticate") : NULL;
    printf("   HTTP %ld from the proxy, Proxy-Authenticate: %s\n",
           futurl_future_http_status(f), wants != NULL ? wants : "(none)");
    futurl_future_free(f);

    /* 3. No credentials, but the origin's host bypasses the proxy. */
    char host[128];
    host_of(base, host, sizeof host);
    opts.no_proxy = host; /* a list: "localhost,.internal,10.0.0.0/8" */
    printf("3. no_proxy = \"%s\", without credentials\n", host);
    if ((f = get_part(&opts, base, 3)) == NULL)
        return EXIT_FAILURE;
    if (futurl_future_status(f) == FUTURL_OK) {
        printf("   HTTP %ld straight from the origin; the proxy was not asked\n",
               futurl_future_http_status(f));
        rc = EXIT_SUCCESS;
    } else {
        fprintf(stderr, "   %s\n", futurl_future_errmsg(f));
    }
out:
    futurl_future_free(f);
    return rc;
}
