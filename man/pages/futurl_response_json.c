/* page: futurl_response_json futurl_response_json_error
 * summary: the body of a response as parsed JSON
 */
#include <cjson/cJSON.h>
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    futurl_future *f;
    if (futurl_get(c, "http://127.0.0.1:8080/get?name=ada", &f) != FUTURL_OK) {
        futurl_client_destroy(c);
        return 1;
    }
    if (futurl_future_wait(f) == FUTURL_OK) {
        const futurl_response *r = futurl_future_response(f);
        const cJSON *doc = futurl_response_json(r); /* borrowed, cached */
        if (!doc) {
            fprintf(stderr, "%s\n", futurl_response_json_error(r));
        } else {
            const cJSON *args = cJSON_GetObjectItemCaseSensitive(doc, "args");
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(args, "name");
            if (cJSON_IsString(name))
                printf("name = %s\n", name->valuestring);
        }
    }
    futurl_future_free(f); /* frees the parsed JSON too */
    futurl_client_destroy(c);
    return 0;
}
