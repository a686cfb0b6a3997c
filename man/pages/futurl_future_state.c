/* page: futurl_future_state futurl_future_done futurl_future_status
 * summary: where a future is, without blocking
 */
#include <futurl.h>
#include <stdio.h>

static const char *state_name(futurl_state st) {
    switch (st) {
    case FUTURL_PENDING:
        return "pending";
    case FUTURL_RUNNING:
        return "running";
    case FUTURL_DONE:
        return "done";
    case FUTURL_FAILED:
        return "failed";
    case FUTURL_CANCELLED:
        return "cancelled";
    }
    return "?";
}

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/get", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    /* Right after submit: pending or running, FUTURL_EPENDING. */
    printf("%s, done: %d, %s\n", state_name(futurl_future_state(f)),
           futurl_future_done(f), futurl_err_name(futurl_future_status(f)));
    (void)futurl_future_wait(f);
    printf("%s, done: %d, %s\n", state_name(futurl_future_state(f)),
           futurl_future_done(f), futurl_err_name(futurl_future_status(f)));
    futurl_future_free(f);
    futurl_client_destroy(c);
    return 0;
}
