/*
 * pagination — first page for the count, then all pages at once, merged.
 *
 * Learn the page count from the first page, fetch every other page at
 * once, and put the pieces back together in order.
 *
 * Python (seed 004, "Async Pagination"):
 *
 *     tasks = [fetch_page(session, p) for p in range(1, num_pages + 1)]
 *     pages = await asyncio.gather(*tasks)
 *     all_items = [item for page in pages for item in page]
 *
 * The pages here are byte ranges of one resource, httpbin's /range/2600
 * (the alphabet, a hundred times): "Range: bytes=0-255" asks for page 0,
 * and the answer's "Content-Range: bytes 0-255/2600" gives the total — the
 * same shape as an API whose first page says "total_pages". HTTP clients
 * download large files in parallel exactly this way.
 *
 * The point to notice: pages finish in any order, but fs[i] is page i, so
 * flattening by index restores the order without sorting anything.
 *
 * Run:  build/plain/examples/pagination [BASE_URL]
 */
#include <futurl.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE "http://127.0.0.1:8765" /* where `make serve` listens */
#define RESOURCE     "/range/2600"
#define PAGE_SIZE    256
#define MAX_PAGES    64

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

/* Submit a GET for page `page` of a resource of `total` bytes (SIZE_MAX:
 * not known yet): one Range request. */
static futurl_status get_page(futurl_client *c, size_t page, size_t total,
                              futurl_future **out) {
    size_t first = page * PAGE_SIZE, last = first + PAGE_SIZE - 1;
    if (last >= total)
        last = total - 1; /* the last page is short */
    char range[64];
    snprintf(range, sizeof range, "bytes=%zu-%zu", first, last);
    futurl_request *r;
    futurl_status st = futurl_request_new("GET", RESOURCE, &r);
    if (st == FUTURL_OK &&
        (st = futurl_request_set_header(r, "Range", range)) != FUTURL_OK)
        futurl_request_free(r);
    return st == FUTURL_OK ? futurl_client_submit(c, r, out) : st;
}

/* The page's bytes, or NULL if it is not a 206 Partial Content answer. */
static const char *page_body(futurl_future *f, size_t *len) {
    if (futurl_future_status(f) != FUTURL_OK) {
        fprintf(stderr, "page failed: %s\n", futurl_future_errmsg(f));
        return NULL;
    }
    const futurl_response *resp = futurl_future_response(f);
    if (futurl_response_status(resp) != 206) {
        fprintf(stderr, "expected 206 Partial Content, got %ld\n",
                futurl_response_status(resp));
        return NULL;
    }
    return futurl_response_body(resp, len);
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

    int rc = EXIT_FAILURE;
    futurl_future *fs[MAX_PAGES] = {NULL};
    size_t pages = 0, total = 0;
    char *all = NULL;

    /* Step 1: the first page, alone, tells us how many there are. */
    if ((st = get_page(client, 0, SIZE_MAX, &fs[0])) != FUTURL_OK ||
        (st = futurl_future_wait(fs[0])) != FUTURL_OK) {
        fprintf(stderr, "page 0: %s\n",
                fs[0] ? futurl_future_errmsg(fs[0]) : futurl_strerror(st));
        goto out;
    }
    const char *cr =
        futurl_response_header(futurl_future_response(fs[0]), "Content-Range");
    const char *slash = cr != NULL ? strrchr(cr, '/') : NULL;
    total = slash != NULL ? strtoul(slash + 1, NULL, 10) : 0;
    pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    if (pages == 0 || pages > MAX_PAGES) {
        fprintf(stderr, "unexpected Content-Range: %s\n", cr ? cr : "(none)");
        goto out;
    }
    printf("page 0 says: Content-Range: %s -> %zu pages of %d bytes\n", cr, pages,
           PAGE_SIZE);

    /* Step 2: all the other pages at once. */
    for (size_t p = 1; p < pages; p++)
        if ((st = get_page(client, p, total, &fs[p])) != FUTURL_OK) {
            fprintf(stderr, "submit page %zu: %s\n", p, futurl_strerror(st));
            goto out;
        }
    futurl_gather_counts counts = {0};
    st = futurl_gather(fs, pages, 10000, FUTURL_CANCEL_ON_ERROR, &counts);
    printf("pages 1..%zu fetched concurrently; of all %zu pages: %zu ok, %zu failed\n",
           pages - 1, pages, counts.ok, counts.failed);
    if (st != FUTURL_OK || counts.ok != pages)
        goto out;

    /* Step 3: flatten, by index, into one buffer. */
    if ((all = malloc(total)) == NULL) {
        fprintf(stderr, "out of memory\n");
        goto out;
    }
    size_t at = 0;
    for (size_t p = 0; p < pages; p++) {
        size_t len;
        const char *bytes = page_body(fs[p], &len);
        if (bytes == NULL || len > total - at)
            goto out;
        memcpy(all + at, bytes, len);
        at += len;
    }

    /* The resource is 'a' + i % 26 at offset i: check that we rebuilt it. */
    size_t bad = at == total ? 0 : 1;
    for (size_t i = 0; i < at; i++)
        bad += all[i] != (char)('a' + i % 26);
    printf("flattened %zu of %zu bytes: \"%.30s...\" %s\n", at, total, all,
           bad == 0 ? "in order" : "CORRUPT");
    rc = bad == 0 ? EXIT_SUCCESS : EXIT_FAILURE;

out:
    free(all);
    for (size_t p = 0; p < MAX_PAGES; p++)
        futurl_future_free(fs[p]);
    futurl_client_destroy(client);
    return rc;
}
