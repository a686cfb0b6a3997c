/* page: futurl_global_init futurl_global_cleanup
 * summary: initialise and release libcurl for the whole process
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    /* Before any thread starts (needed only with a libcurl that is not
     * CURL_VERSION_THREADSAFE; harmless otherwise). */
    futurl_status s = futurl_global_init();
    if (s != FUTURL_OK) {
        fprintf(stderr, "init: %s\n", futurl_strerror(s));
        return 1;
    }
    futurl_client *c;
    if (futurl_client_create(NULL, &c) == FUTURL_OK)
        futurl_client_destroy(c);
    futurl_global_cleanup(); /* after the last client is destroyed */
    return 0;
}
