/* page: futurl_request_set_id futurl_response_request_id
 * summary: name a request, and read the id its response answers to
 * also: FUTURL_MAX_REQUEST_ID_LENGTH futurl_event futurl_event_fn futurl_debug_fn
 */
#include <futurl.h>
#include <stdio.h>

/* Print every lifecycle event with its request id. */
static void on_event(const futurl_event *ev, void *userdata) {
    (void)userdata;
    printf("%llu %s event %d\n", (unsigned long long)ev->time_ns, ev->request_id,
           (int)ev->type);
}

int main(void) {
    futurl_client_options o;
    futurl_client_options_init(&o);
    o.on_event = on_event;
    futurl_client *c;
    if (futurl_client_create(&o, &c) != FUTURL_OK)
        return 1;
    futurl_request *r;
    if (futurl_request_new("GET", "http://127.0.0.1:8080/get", &r) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_request_set_id(r, "checkout-42") != FUTURL_OK) {
        futurl_request_free(r);
        futurl_client_destroy(c);
        return 1;
    }
    futurl_future *f;
    if (futurl_client_submit(c, r, &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    (void)futurl_future_wait(f);
    const futurl_response *resp = futurl_future_response(f);
    if (resp != NULL)
        printf("response to %s\n", futurl_response_request_id(resp));
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
