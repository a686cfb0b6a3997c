/* page: futurl_executor_workers futurl_executor_threads futurl_executor_queued
 * summary: the size of a pool and of its queue
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_executor *ex;
    if (futurl_executor_create(NULL, &ex) != FUTURL_OK)
        return 1;
    printf("workers: at most %u, started %u; queued jobs: %zu\n",
           futurl_executor_workers(ex), futurl_executor_threads(ex),
           futurl_executor_queued(ex));
    futurl_executor_destroy(ex);
    return 0;
}
