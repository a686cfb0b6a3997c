/* page: futurl_stream_close futurl_stream_cancel
 * summary: stop reading a streamed body, aborting its transfer if it still runs
 * see: futurl_client_stream futurl_stream_read
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    futurl_future *f;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/stream-bytes/10000000", &r) !=
            FUTURL_OK ||
        futurl_client_stream(c, r, &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_wait(f) == FUTURL_OK) {
        futurl_stream *s = futurl_future_stream(f);
        char magic[4];
        size_t got;
        /* Only the first bytes are wanted: read them, then stop. */
        if (futurl_stream_read(s, magic, sizeof magic, &got, 5000) == FUTURL_OK)
            printf("first %zu bytes read\n", got);
        futurl_stream_close(s); /* the transfer stops; the worker is free */
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
