/* page: futurl_stream_read futurl_stream_fd futurl_stream_bytes futurl_stream_buffered
 *       futurl_stream_errmsg
 * summary: read a streamed body: blocking with a timeout, non-blocking, or when its fd is readable
 * see: futurl_client_stream futurl_stream_close
 */
#include <futurl.h>
#include <poll.h>
#include <stdio.h>

/* Read what is buffered each time the stream's fd turns readable, as an
 * event loop would; stdin is watched beside it. */
int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    futurl_future *f;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/drip?numbytes=5", &r) !=
            FUTURL_OK ||
        futurl_client_stream(c, r, &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_stream *s = futurl_future_wait(f) == FUTURL_OK ? futurl_future_stream(f) : NULL;
    for (int done = s == NULL; !done;) {
        struct pollfd p[2] = {{.fd = futurl_stream_fd(s), .events = POLLIN},
                              {.fd = 0, .events = POLLIN}};
        if (poll(p, 2, -1) < 0)
            break;
        char buf[4096];
        size_t got;
        futurl_status st;
        while ((st = futurl_stream_read(s, buf, sizeof buf, &got, 0)) == FUTURL_OK &&
               got > 0)
            printf("%zu bytes (%zu still buffered)\n", got, futurl_stream_buffered(s));
        if (st != FUTURL_EPENDING) { /* the end, or an error */
            printf("%s after %llu bytes %s\n", futurl_err_name(st),
                   (unsigned long long)futurl_stream_bytes(s), futurl_stream_errmsg(s));
            done = 1;
        }
    }
    futurl_future_free(f); /* closes the stream */
    futurl_client_destroy(c);
    return 0;
}
