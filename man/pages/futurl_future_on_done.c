/* page: futurl_future_on_done
 * summary: call a function when a future finishes
 */
#include <futurl.h>
#include <stdio.h>

/* Runs once, on the thread that finishes f; owns f (handed over below). */
static void report(futurl_future *f, void *userdata) {
    const char *url = userdata;
    const futurl_response *r = futurl_future_response(f);
    printf("%s: %ld\n", url, r ? futurl_response_status(r) : 0L);
    futurl_future_free(f);
}

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    static const char url[] = "http://127.0.0.1:8080/get";
    futurl_future *f;
    if (futurl_get(c, url, &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_on_done(f, report, (void *)url) != FUTURL_OK)
        futurl_future_free(f); /* the callback will never run */
    futurl_client_destroy(c);  /* drains: the callback has run */
    return 0;
}
