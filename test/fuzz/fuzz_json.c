/*
 * test/fuzz/fuzz_json.c — the JSON helpers (src/json.c): a response body
 * from a server parsed by futurl_response_json, and a request body made by
 * futurl_request_set_json. Input: a mode byte, then a response body (even)
 * or a JSON text to send (odd).
 * Properties: a body is JSON or it has an error message, never both; the
 * parse is cached (the same tree each time); an accepted body is one JSON
 * value with only JSON whitespace after it: the same body with a byte of
 * garbage appended is refused, with whitespace appended it is the same
 * tree, and printing the tree and parsing it again gives the same tree; a
 * refused body's message points inside it. set_json sends a body that
 * parses back to the tree it was given (where cJSON_Compare can tell:
 * not for inf, which cJSON writes as null, nor for repeated keys), typed
 * application/json, and a response with that body reads as that tree.
 */
#include "fuzz.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "request.h"
#include "response.h"

/* The tree r's body reads as (checked for consistency), or NULL. */
static const cJSON *json_of(const futurl_response *r) {
    const cJSON *j = futurl_response_json(r);
    const char *err = futurl_response_json_error(r);
    FUZZ_CHECK((j == NULL) != (err == NULL), "json %p, error %s", (const void *)j,
               err ? err : "(none)");
    FUZZ_CHECK(futurl_response_json(r) == j, "not cached");
    if (err != NULL) {
        size_t at = 0, len = 0;
        (void)futurl_response_body(r, &len);
        FUZZ_CHECK(sscanf(err, "invalid JSON at byte %zu", &at) == 1 && at <= len,
                   "message \"%s\" for %zu bytes", err, len);
    }
    return j;
}

/* Whether cJSON_Compare can tell: it cannot for a number JSON cannot
 * write (cJSON writes inf as null; inf never equals inf there) nor for an
 * object with a key twice (it looks keys up, and finds the first). */
static int comparable(const cJSON *j) {
    for (; j != NULL; j = j->next) {
        if (cJSON_IsNumber(j) && !isfinite(j->valuedouble))
            return 0;
        if (cJSON_IsObject(j))
            for (const cJSON *a = j->child; a != NULL; a = a->next)
                for (const cJSON *b = a->next; b != NULL; b = b->next)
                    if (strcmp(a->string, b->string) == 0)
                        return 0;
        if (!comparable(j->child))
            return 0;
    }
    return 1;
}

static void body(const uint8_t *data, size_t size) {
    futurl_response *r = fuzz_response_with((const char *)data, size);
    const cJSON *j = json_of(r);
    if (j != NULL && comparable(j)) {
        char *text = cJSON_PrintUnformatted(j);
        FUZZ_CHECK(text != NULL, "cannot print");
        cJSON *again = cJSON_Parse(text);
        FUZZ_CHECK(again != NULL && cJSON_Compare(j, again, 1),
                   "printed as %s, which reads otherwise", text);
        cJSON_Delete(again);
        cJSON_free(text);
    }
    if (j != NULL) {
        char *more = malloc(size + 4);
        if (more == NULL)
            abort();
        memcpy(more, data, size);
        memcpy(more + size, " \r\n\t", 4);
        futurl_response *ws = fuzz_response_with(more, size + 4);
        const cJSON *jw = json_of(ws);
        FUZZ_CHECK(jw != NULL && (!comparable(j) || cJSON_Compare(j, jw, 1)),
                   "trailing whitespace changed it");
        futurl__response_free(ws);
        more[size] = 'x';
        futurl_response *junk = fuzz_response_with(more, size + 1);
        FUZZ_CHECK(json_of(junk) == NULL, "trailing garbage accepted");
        futurl__response_free(junk);
        free(more);
    }
    futurl__response_free(r);
}

static void request(const uint8_t *data, size_t size) {
    cJSON *tree = cJSON_ParseWithLength((const char *)data, size);
    if (tree == NULL)
        return;
    futurl_request *r = NULL;
    FUZZ_CHECK(futurl_request_new("POST", "http://h/", &r) == FUTURL_OK, "new");
    futurl_status st = futurl_request_set_json(r, tree);
    FUZZ_CHECK(st == FUTURL_OK, "set_json: %s", futurl_err_name(st));
    FUZZ_CHECK(r->header_count == 1 &&
                   strcmp(r->headers[0].line, "Content-Type: application/json") == 0,
               "headers: %zu, first \"%s\"", r->header_count,
               r->header_count ? r->headers[0].line : "");
    cJSON *sent = cJSON_ParseWithLength(r->body.data, r->body.len);
    FUZZ_CHECK(sent != NULL, "sent \"%s\", not JSON", r->body.data);
    if (comparable(tree))
        FUZZ_CHECK(cJSON_Compare(tree, sent, 1), "sent \"%s\", another tree",
                   r->body.data);
    futurl_response *resp = fuzz_response_with(r->body.data, r->body.len);
    const cJSON *read = json_of(resp);
    FUZZ_CHECK(read != NULL && (!comparable(sent) || cJSON_Compare(read, sent, 1)),
               "a response with body \"%s\" reads otherwise", r->body.data);
    futurl__response_free(resp);
    cJSON_Delete(sent);
    futurl_request_free(r);
    cJSON_Delete(tree);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    if (data[0] & 1)
        request(data + 1, size - 1);
    else
        body(data + 1, size - 1);
    return 0;
}
