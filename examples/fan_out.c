/*
 * fan_out — one request lists the next ones; fetch those all at once.
 *
 * A one-level web crawl.
 *
 * Python (seed 004, "Fan-Out Pattern"):
 *
 *     user_list = await (await session.get("/users")).json()
 *     tasks = [fetch_user_details(session, u["id"]) for u in user_list]
 *     detailed_users = await asyncio.gather(*tasks)
 *
 * Step 1 fetches an index page, httpbin's /links/8/0, an HTML page that
 * links to /links/8/1 … /links/8/7; step 2 fetches every linked page
 * concurrently and reports what each contains. The second step depends on
 * the first, so it has to wait for it — but not on itself: the seven
 * pages cost about as much time as one.
 *
 * Ownership across the steps: the hrefs are copied out of the index
 * page's body (borrowed from its future) before that future is freed;
 * every URL handed to futurl is copied at submit, so the copies can go
 * as soon as everything is submitted.
 *
 * Run:  build/plain/examples/fan_out [BASE_URL]
 */
#include <futurl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */
#define INDEX        "/links/8/0"
#define MAX_LINKS    32
#define MAX_HREF     128

/* Exit early, and say how to fix it, when no server answers at base. */
static int server_is_up(futurl_client *c, const char *base, const char *prog) {
    futurl_future *f = NULL;
    futurl_status st = futurl_get(c, "/get", &f);
    if (st == FUTURL_OK)
        st = futurl_future_wait(f);
    futurl_future_free(f);
    if (st == FUTURL_OK)
        return 1;
    fprintf(stderr,
            "No HTTP server answers at %s (%s).\n"
            "Start the local one in another terminal with `make serve`,\n"
            "or pass a base URL: %s http://127.0.0.1:PORT\n",
            base, futurl_strerror(st), prog);
    return 0;
}

/* Copy up to max href='…' values out of html; returns how many. A real
 * crawler would use an HTML parser; httpbin's pages are this regular. */
static size_t extract_links(const char *html, char hrefs[][MAX_HREF], size_t max) {
    static const char mark[] = "href='";
    size_t n = 0;
    for (const char *p = strstr(html, mark); p != NULL && n < max; p = strstr(p, mark)) {
        p += sizeof mark - 1;
        size_t len = strcspn(p, "'");
        if (p[len] == '\'' && len < MAX_HREF) {
            memcpy(hrefs[n], p, len);
            hrefs[n++][len] = '\0';
        }
        p += len;
    }
    return n;
}

/* How many links a page has, for the report. */
static size_t count_links(const char *html) {
    size_t n = 0;
    for (const char *p = strstr(html, "<a "); p != NULL && n < 1000;
         p = strstr(p + 3, "<a "))
        n++;
    return n;
}

int main(int argc, char **argv) {
    const char *base = argc > 1 ? argv[1] : DEFAULT_BASE;

    futurl_client_options opts;
    futurl_client_options_init(&opts);
    opts.base_url = base;
    futurl_client *client;
    futurl_status st = futurl_client_create(&opts, &client);
    if (st != FUTURL_OK) {
        fprintf(stderr, "cannot create the client: %s\n", futurl_strerror(st));
        return EXIT_FAILURE;
    }
    if (!server_is_up(client, base, argv[0])) {
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }

    /* Step 1: the list. */
    static char hrefs[MAX_LINKS][MAX_HREF];
    size_t n = 0;
    futurl_future *index = NULL;
    if ((st = futurl_get(client, INDEX, &index)) == FUTURL_OK)
        st = futurl_future_wait(index);
    if (st == FUTURL_OK)
        n = extract_links(futurl_response_body(futurl_future_response(index), NULL),
                          hrefs, MAX_LINKS);
    else
        fprintf(stderr, "GET %s: %s\n", INDEX,
                index ? futurl_future_errmsg(index) : futurl_strerror(st));
    futurl_future_free(index); /* its body goes too: hrefs holds copies */
    if (n == 0) {
        futurl_client_destroy(client);
        return EXIT_FAILURE;
    }
    printf("%s links to %zu pages\n", INDEX, n);

    /* Step 2: fan out. */
    futurl_future *fs[MAX_LINKS] = {NULL};
    size_t submitted = 0;
    for (; submitted < n; submitted++)
        if ((st = futurl_get(client, hrefs[submitted], &fs[submitted])) != FUTURL_OK) {
            fprintf(stderr, "submit %s: %s\n", hrefs[submitted], futurl_strerror(st));
            break;
        }
    futurl_gather_counts counts = {0};
    st = futurl_gather(fs, submitted, 10000, 0, &counts);

    for (size_t i = 0; i < submitted; i++) {
        if (futurl_future_status(fs[i]) != FUTURL_OK) {
            printf("  %-12s failed: %s\n", hrefs[i], futurl_future_errmsg(fs[i]));
            continue;
        }
        const futurl_response *resp = futurl_future_response(fs[i]);
        size_t len;
        const char *html = futurl_response_body(resp, &len);
        printf("  %-12s HTTP %ld, %4zu bytes, %zu links\n", hrefs[i],
               futurl_response_status(resp), len, count_links(html));
    }
    printf("fetched %zu of %zu pages concurrently\n", counts.ok, n);

    for (size_t i = 0; i < submitted; i++)
        futurl_future_free(fs[i]);
    futurl_client_destroy(client);
    return st == FUTURL_OK && counts.ok == n ? EXIT_SUCCESS : EXIT_FAILURE;
}
