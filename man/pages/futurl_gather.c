/* page: futurl_gather
 * summary: wait for many futures, with a deadline
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    const char *urls[] = {"http://127.0.0.1:8080/get", "http://127.0.0.1:8080/status/404",
                          "http://127.0.0.1:8080/delay/1"};
    futurl_future *fs[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (futurl_get(c, urls[i], &fs[n]) == FUTURL_OK)
            n++;
    futurl_gather_counts counts;
    futurl_status s = futurl_gather(fs, n, 5000, FUTURL_CANCEL_ON_TIMEOUT, &counts);
    printf("%s: %zu ok, %zu failed, %zu cancelled\n", futurl_err_name(s), counts.ok,
           counts.failed, counts.cancelled);
    for (size_t i = 0; i < n; i++) {
        const futurl_response *r = futurl_future_response(fs[i]);
        if (r)
            printf("%s -> %ld\n", futurl_response_url(r), futurl_response_status(r));
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
    return 0;
}
