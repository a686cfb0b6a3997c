/* page: futurl_client_get_stats
 * summary: a client's counters
 */
#include <futurl.h>
#include <inttypes.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/get", &f) == FUTURL_OK) {
        (void)futurl_future_wait(f);
        futurl_future_free(f);
    }
    futurl_client_stats st;
    if (futurl_client_get_stats(c, &st) == FUTURL_OK)
        printf("%" PRIu64 " submitted, %" PRIu64 " ok, %" PRIu64
               " bytes, %zu in flight\n",
               st.submitted, st.succeeded, st.bytes, st.in_flight);
    futurl_client_destroy(c);
    return 0;
}
