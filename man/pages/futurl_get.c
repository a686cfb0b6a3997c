/* page: futurl_get futurl_delete futurl_post_json futurl_put_json futurl_patch_json
 * summary: build and submit a request in one call
 */
#include <cjson/cJSON.h>
#include <futurl.h>
#include <stdio.h>

int main(void) {
    futurl_client *c;
    if (futurl_client_create(NULL, &c) != FUTURL_OK)
        return 1;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "qty", 3);
    futurl_future *fs[5];
    size_t n = 0;
    if (futurl_get(c, "http://127.0.0.1:8080/get", &fs[n]) == FUTURL_OK)
        n++;
    if (futurl_post_json(c, "http://127.0.0.1:8080/post", body, &fs[n]) == FUTURL_OK)
        n++;
    if (futurl_put_json(c, "http://127.0.0.1:8080/put", body, &fs[n]) == FUTURL_OK)
        n++;
    if (futurl_patch_json(c, "http://127.0.0.1:8080/patch", body, &fs[n]) == FUTURL_OK)
        n++;
    if (futurl_delete(c, "http://127.0.0.1:8080/delete", &fs[n]) == FUTURL_OK)
        n++;
    cJSON_Delete(body); /* serialized at each call; ours to free */
    (void)futurl_gather(fs, n, -1, 0, NULL);
    for (size_t i = 0; i < n; i++) {
        const futurl_response *r = futurl_future_response(fs[i]);
        printf("%ld\n", r ? futurl_response_status(r) : 0L);
        futurl_future_free(fs[i]);
    }
    futurl_client_destroy(c);
    return 0;
}
