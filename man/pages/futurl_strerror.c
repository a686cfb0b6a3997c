/* page: futurl_strerror futurl_err_name
 * summary: the text and the name of a status code
 * also: futurl_status
 */
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    futurl_status s = futurl_client_create(NULL, &c);
    if (s != FUTURL_OK) {
        fprintf(stderr, "client: %s (%s)\n", futurl_strerror(s), futurl_err_name(s));
        return 1;
    }
    futurl_client_destroy(c);
    return 0;
}
