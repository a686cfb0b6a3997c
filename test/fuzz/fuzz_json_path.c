/*
 * test/fuzz/fuzz_json_path.c — the JSON path accessors (src/jsonpath.c):
 * futurl_response_json_value and its typed siblings, with a path from the
 * caller and a body from a server, both hostile. Input: the path, a NUL,
 * then the response body (no NUL: the whole input is the path, the body
 * "{}").
 * Properties: every call returns one of the documented statuses, with *out
 * NULL (or 0) on failure; a path judged malformed (FUTURL_EJSONPATH) is so
 * whatever the body (the same path against another body says the same); a
 * body that is not JSON gives FUTURL_EJSON for every well-formed path; the
 * typed accessors agree with futurl_response_json_value (OK exactly when
 * the value there has their type, FUTURL_ETYPE when it has another, the
 * same failure otherwise) and return the value it holds; asking twice gives
 * the same answer (nothing is consumed or cached wrongly).
 */
#include "fuzz.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "response.h"

static int documented(futurl_status st) {
    return st == FUTURL_OK || st == FUTURL_EJSONPATH || st == FUTURL_EJSON ||
           st == FUTURL_ENOTFOUND || st == FUTURL_ETYPE;
}

/* The typed accessors at path agree with value's answer (st, v). */
static void typed_agree(const futurl_response *r, const char *path, futurl_status st,
                        const cJSON *v) {
    const char *s = (const char *)1;
    futurl_status ss = futurl_response_json_string(r, path, &s);
    double d = 1.5;
    futurl_status sd = futurl_response_json_number(r, path, &d);
    int b = 7;
    futurl_status sb = futurl_response_json_bool(r, path, &b);
    int64_t i = 7;
    futurl_status si = futurl_response_json_int(r, path, &i);
    if (st != FUTURL_OK) {
        FUZZ_CHECK(ss == st && sd == st && sb == st && si == st,
                   "value %d, typed %d %d %d %d", st, ss, sd, sb, si);
        FUZZ_CHECK(s == NULL && d == 0 && b == 0 && i == 0, "out set on failure");
        return;
    }
    FUZZ_CHECK(ss == (cJSON_IsString(v) ? FUTURL_OK : FUTURL_ETYPE), "string: %d", ss);
    if (ss == FUTURL_OK)
        FUZZ_CHECK(s == v->valuestring, "another string");
    FUZZ_CHECK(sd == (cJSON_IsNumber(v) ? FUTURL_OK : FUTURL_ETYPE), "number: %d", sd);
    if (sd == FUTURL_OK)
        FUZZ_CHECK(d == v->valuedouble || (isnan(d) && isnan(v->valuedouble)),
                   "another number");
    FUZZ_CHECK(sb == (cJSON_IsBool(v) ? FUTURL_OK : FUTURL_ETYPE), "bool: %d", sb);
    if (sb == FUTURL_OK)
        FUZZ_CHECK(b == (cJSON_IsTrue(v) ? 1 : 0), "another bool");
    if (!cJSON_IsNumber(v)) {
        FUZZ_CHECK(si == FUTURL_ETYPE, "int of a non-number: %d", si);
    } else if (si == FUTURL_OK) {
        FUZZ_CHECK((double)i == v->valuedouble && fabs(v->valuedouble) <= 9007199254740992.0,
                   "int %lld of %g", (long long)i, v->valuedouble);
    } else {
        double x = v->valuedouble;
        FUZZ_CHECK(si == FUTURL_ETYPE &&
                       !(x == floor(x) && fabs(x) <= 9007199254740992.0),
                   "a whole number %g refused: %d", x, si);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, 0, size);
    size_t plen = nul ? (size_t)(nul - data) : size;
    char *path = fuzz_cstr(data, plen);
    const char *body = nul ? (const char *)nul + 1 : "{}";
    size_t blen = nul ? size - plen - 1 : 2;
    futurl_response *r = fuzz_response_with(body, blen);
    futurl_response *other = fuzz_response_with("[1]", 3);
    futurl_response *bad = fuzz_response_with("{", 1);

    const cJSON *v = (const cJSON *)1;
    futurl_status st = futurl_response_json_value(r, path, &v);
    FUZZ_CHECK(documented(st), "status %d", st);
    FUZZ_CHECK((st == FUTURL_OK) == (v != NULL), "status %d, value %p", st, (const void *)v);
    const cJSON *again = NULL;
    FUZZ_CHECK(futurl_response_json_value(r, path, &again) == st && again == v,
               "asked twice, another answer");
    if (st == FUTURL_EJSON)
        FUZZ_CHECK(futurl_response_json(r) == NULL, "EJSON for a JSON body");

    const cJSON *w = NULL;
    futurl_status so = futurl_response_json_value(other, path, &w);
    FUZZ_CHECK((st == FUTURL_EJSONPATH) == (so == FUTURL_EJSONPATH),
               "malformed for one body, not the other: %d, %d", st, so);
    futurl_status sb = futurl_response_json_value(bad, path, &w);
    FUZZ_CHECK(sb == (so == FUTURL_EJSONPATH ? FUTURL_EJSONPATH : FUTURL_EJSON),
               "a body that is not JSON: %d", sb);
    if (plen > FUTURL_MAX_JSON_PATH_LENGTH)
        FUZZ_CHECK(st == FUTURL_EJSONPATH, "a path of %zu bytes: %d", plen, st);

    typed_agree(r, path, st, v);
    FUZZ_CHECK(futurl_response_json_value(r, NULL, &w) == FUTURL_EINVAL, "NULL path");

    futurl__response_free(r);
    futurl__response_free(other);
    futurl__response_free(bad);
    free(path);
    return 0;
}
