/* page: futurl_request_set_body futurl_request_set_json futurl_request_add_form
 * summary: the body a request sends: bytes, JSON or a form
 */
#include <cjson/cJSON.h>
#include <futurl.h>

int main(void) {
    futurl_request *raw, *json, *form;
    if (futurl_request_new("PUT", "http://127.0.0.1:8080/put", &raw) != FUTURL_OK)
        return 1;
    static const char csv[] = "id,name\n1,ada\n";
    futurl_status s = futurl_request_set_body(raw, csv, sizeof csv - 1, "text/csv");
    futurl_request_free(raw);

    if (futurl_request_new("POST", "http://127.0.0.1:8080/post", &json) != FUTURL_OK)
        return 1;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "name", "ada");
    if (s == FUTURL_OK)
        s = futurl_request_set_json(json, doc); /* serialized now */
    cJSON_Delete(doc);                          /* ours to free */
    futurl_request_free(json);

    if (futurl_request_new("POST", "http://127.0.0.1:8080/post", &form) != FUTURL_OK)
        return 1;
    if (s == FUTURL_OK)
        s = futurl_request_add_form(form, "user", "ada");
    if (s == FUTURL_OK)
        s = futurl_request_add_form(form, "note", "a&b=c"); /* encoded */
    futurl_request_free(form);
    return s == FUTURL_OK ? 0 : 1;
}
