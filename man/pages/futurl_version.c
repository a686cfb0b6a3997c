/* page: futurl_version futurl_curl_version
 * summary: the versions of futurl and libcurl a program runs with
 * also: FUTURL_VERSION_MAJOR FUTURL_VERSION_MINOR FUTURL_VERSION_PATCH
 *       FUTURL_VERSION_STRING
 */
#include <futurl.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    /* The header a program was built with, and the libraries it runs with. */
    printf("built with %s, running %s on libcurl %s\n", FUTURL_VERSION_STRING,
           futurl_version(), futurl_curl_version());
    return strcmp(FUTURL_VERSION_STRING, futurl_version()) == 0 ? 0 : 1;
}
