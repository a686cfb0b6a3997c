/* page: futurl_client_stream futurl_future_stream
 * summary: send a request and read its body on the caller's thread as it arrives
 * also: futurl_stream FUTURL_DEFAULT_STREAM_BUFFER_BYTES
 * see: futurl_stream_read futurl_stream_close
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/stream-bytes/100000", &r) !=
        FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_future *f;
    if (futurl_client_stream(c, r, &f) != FUTURL_OK) { /* steals r */
        futurl_client_destroy(c);
        return 1;
    }
    /* Finishes when the headers are in; the body has not been read yet. */
    if (futurl_future_wait(f) == FUTURL_OK) {
        printf("status %ld\n", futurl_response_status(futurl_future_response(f)));
        futurl_stream *s = futurl_future_stream(f);
        char buf[16384];
        size_t got;
        unsigned long long total = 0;
        futurl_status st;
        while ((st = futurl_stream_read(s, buf, sizeof buf, &got, 5000)) == FUTURL_OK &&
               got > 0)
            total += got;
        printf("%llu bytes, %s\n", total, futurl_err_name(st));
        futurl_stream_close(s);
    }
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
