/* page: futurl_client_submit futurl_client_try_submit
 * summary: queue a request on the client's pool
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    if (futurl_request_new("DELETE", "http://127.0.0.1:8080/delete", &r) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    futurl_future *f;
    /* submit takes r in every case, also when it fails. */
    futurl_status s = futurl_client_submit(c, r, &f);
    if (s != FUTURL_OK) {
        fprintf(stderr, "submit: %s\n", futurl_strerror(s));
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_wait(f) != FUTURL_OK)
        fprintf(stderr, "%s\n", futurl_future_errmsg(f));
    futurl_future_free(f);

    /* A producer that must not block: a full queue is FUTURL_EQUEUEFULL. */
    if (futurl_request_new("GET", "http://127.0.0.1:8080/get", &r) == FUTURL_OK) {
        s = futurl_client_try_submit(c, r, &f);
        if (s == FUTURL_OK)
            futurl_future_free(f);
        else if (s == FUTURL_EQUEUEFULL)
            printf("busy; try later\n");
    }
    futurl_client_destroy(c);
    return 0;
}
