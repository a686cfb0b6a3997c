/* page: futurl_response_elapsed futurl_response_connect_time futurl_response_ttfb
 *       futurl_response_bytes futurl_response_new_connections
 * summary: timings and sizes of a transfer
 */
#include <futurl.h>
#include <inttypes.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    for (int i = 0; i < 2; i++) {
        futurl_future *f;
        if (futurl_get(c, "http://127.0.0.1:8080/bytes/10000", &f) != FUTURL_OK)
            break;
        if (futurl_future_wait(f) == FUTURL_OK) {
            const futurl_response *r = futurl_future_response(f);
            /* The second request may reuse the first one's connection. */
            printf("%" PRIu64 " bytes in %.3f s (connect %.3f s, first byte %.3f s), "
                   "%ld new connection(s)\n",
                   futurl_response_bytes(r), futurl_response_elapsed(r),
                   futurl_response_connect_time(r), futurl_response_ttfb(r),
                   futurl_response_new_connections(r));
        }
        futurl_future_free(f);
    }
    futurl_client_destroy(c);
    return 0;
}
