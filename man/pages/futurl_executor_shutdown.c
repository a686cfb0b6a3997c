/* page: futurl_executor_shutdown futurl_executor_destroy
 * summary: stop a pool, finishing or cancelling what is queued
 */
#include <futurl.h>
#include <stdio.h>

static futurl_status nap(futurl_job *job, void *arg, void **result) {
    (void)arg;
    (void)result;
    return futurl_job_cancelled(job) ? FUTURL_ECANCELED : FUTURL_OK;
}

int main(void) {
    futurl_executor *ex;
    if (futurl_executor_create(NULL, &ex) != FUTURL_OK)
        return 1;
    futurl_future *fs[10];
    size_t n = 0;
    while (n < 10 &&
           futurl_executor_submit(ex, nap, NULL, NULL, NULL, &fs[n]) == FUTURL_OK)
        n++;
    /* Queued jobs end cancelled; every future has finished on return. */
    futurl_status s = futurl_executor_shutdown(ex, FUTURL_CANCEL_PENDING);
    if (s != FUTURL_OK)
        fprintf(stderr, "shutdown: %s\n", futurl_strerror(s));
    for (size_t i = 0; i < n; i++) {
        printf("job %zu: %s\n", i, futurl_err_name(futurl_future_status(fs[i])));
        futurl_future_free(fs[i]);
    }
    futurl_executor_destroy(ex);
    return 0;
}
