/* page: futurl_job_cancelled futurl_job_worker_state futurl_job_worker_index
 *       futurl_job_set_errmsg
 * summary: what a running job can ask and tell
 */
#include <futurl.h>
#include <stdio.h>
#include <time.h>

/* A long job that checks its cancellation flag between steps. */
static futurl_status count_slowly(futurl_job *job, void *arg, void **result) {
    (void)result;
    const int *steps = arg;
    for (int i = 0; i < *steps; i++) {
        if (futurl_job_cancelled(job))
            return FUTURL_ECANCELED; /* the future ends CANCELLED */
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
    if (*steps > 100) {
        futurl_job_set_errmsg(job, "worker %u: %d steps is too many",
                              futurl_job_worker_index(job), *steps);
        return FUTURL_EJOB; /* the future ends FAILED with that message */
    }
    (void)futurl_job_worker_state(job); /* what on_worker_start returned */
    return FUTURL_OK;
}

int main(void) {
    futurl_executor *ex;
    if (futurl_executor_create(NULL, &ex) != FUTURL_OK)
        return 1;
    static int steps = 500;
    futurl_future *f;
    if (futurl_executor_submit(ex, count_slowly, &steps, NULL, NULL, &f) != FUTURL_OK) {
        futurl_executor_destroy(ex);
        return 1;
    }
    futurl_status s = futurl_future_wait(f);
    printf("%s: %s\n", futurl_err_name(s), futurl_future_errmsg(f));
    futurl_future_free(f);
    futurl_executor_destroy(ex);
    return 0;
}
