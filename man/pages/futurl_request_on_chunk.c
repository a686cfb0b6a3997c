/* page: futurl_request_on_chunk futurl_request_set_output_file futurl_request_on_progress
 * summary: stream a response body as it arrives, or write it to a file
 */
#include <futurl.h>
#include <inttypes.h>
#include <stdio.h>

/* Both run on the worker thread; non-zero stops the transfer. */
static int on_chunk(const char *data, size_t len, void *userdata) {
    size_t *seen = userdata;
    *seen += len;
    (void)data;
    return *seen > 1000000; /* enough */
}

static int on_progress(uint64_t received, uint64_t total, void *userdata) {
    (void)userdata;
    fprintf(stderr, "\r%" PRIu64 " of %" PRIu64 " bytes", received, total);
    return 0;
}

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    size_t seen = 0;
    futurl_request *r;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/stream-bytes/50000", &r) !=
            FUTURL_OK ||
        futurl_request_on_chunk(r, on_chunk, &seen) != FUTURL_OK ||
        futurl_request_on_progress(r, on_progress, NULL) != FUTURL_OK) {
        futurl_request_free(r);
        futurl_client_destroy(c);
        return 1;
    }
    futurl_future *f;
    if (futurl_client_submit(c, r, &f) == FUTURL_OK) {
        printf("\n%s after %zu bytes\n", futurl_err_name(futurl_future_wait(f)), seen);
        futurl_future_free(f);
    }

    /* Or straight to a file, which must stay open until the future ends. */
    FILE *out = fopen("bytes.bin", "wb");
    if (out &&
        futurl_request_new("GET", "http://127.0.0.1:8080/bytes/4096", &r) == FUTURL_OK) {
        if (futurl_request_set_output_file(r, out) == FUTURL_OK &&
            futurl_client_submit(c, r, &f) == FUTURL_OK) {
            (void)futurl_future_wait(f);
            futurl_future_free(f);
        } else {
            futurl_request_free(r);
        }
    }
    if (out)
        fclose(out);
    futurl_client_destroy(c);
    return 0;
}
