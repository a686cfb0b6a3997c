/*
 * src/jsonpath.c — JSON path accessors on a response: the value at
 * "data.items[0].name" in the body parsed by src/json.c, typed or not. The
 * path grammar (include/futurl.h, futurl_response_json_value):
 *
 *   path  := "" | first step*
 *   first := name | index | quoted
 *   step  := "." name | index | quoted
 *   name  := one or more bytes other than NUL . [ ] " backslash
 *   index := "[" ( "0" | [1-9][0-9]* ) "]"
 *   quoted:= "[" '"' ( any byte but NUL, " and backslash | \" | \\ )* '"' "]"
 *
 * The whole path is checked before the body is looked at, so a malformed
 * path is FUTURL_EJSONPATH whatever the body. Walking is a loop over the
 * path with one pointer into the document: no recursion, no allocation,
 * names compared in place (a quoted one unescaped as it is compared), an
 * index of any length read with saturation. Work is bounded by the path
 * (FUTURL_MAX_JSON_PATH_LENGTH) and the members and elements it passes.
 */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "response.h"

typedef enum step_kind { STEP_NAME, STEP_QUOTED, STEP_INDEX } step_kind;

/* One step of a path: a name (raw bytes of the path; a quoted one still
 * escaped) or an index (SIZE_MAX for one past what size_t holds). */
typedef struct step {
    step_kind kind;
    const char *s;
    size_t len;
    size_t index;
} step;

static int name_byte(char c) {
    return c != '\0' && c != '.' && c != '[' && c != ']' && c != '"' && c != '\\';
}

/* Read the step at *p (first: no leading dot); advance *p past it.
 * Returns 0, or -1 for a malformed step. */
static int read_step(const char **p, int first, step *st) {
    const char *s = *p;
    int dotted = !first && *s == '.';
    if (dotted)
        s++;
    else if (*s != '[' && !first)
        return -1; /* steps follow each other with "." or "[" */
    if (dotted || *s != '[') {
        const char *start = s;
        while (name_byte(*s))
            s++;
        if (s == start)
            return -1; /* "a..b", "a.", ".a", "a.[0]" */
        *st = (step){.kind = STEP_NAME, .s = start, .len = (size_t)(s - start)};
        *p = s;
        return 0;
    }
    s++;
    if (*s == '"') {
        const char *start = ++s;
        for (; *s != '"'; s++) {
            if (*s == '\0')
                return -1; /* unterminated */
            if (*s == '\\') {
                if (s[1] != '"' && s[1] != '\\')
                    return -1; /* only \" and \\ */
                s++;
            }
        }
        *st = (step){.kind = STEP_QUOTED, .s = start, .len = (size_t)(s - start)};
        if (s[1] != ']')
            return -1;
        *p = s + 2;
        return 0;
    }
    if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
        return -1; /* no sign, no space, no leading zero */
    size_t index = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        size_t d = (size_t)(*s - '0');
        index = index > (SIZE_MAX - d) / 10 ? SIZE_MAX : index * 10 + d;
    }
    if (*s != ']')
        return -1;
    *st = (step){.kind = STEP_INDEX, .index = index};
    *p = s + 1;
    return 0;
}

/* 1 if the member name equals the step's name (a quoted one unescaped). */
static int name_equals(const char *name, const step *st) {
    if (st->kind == STEP_NAME)
        return strncmp(name, st->s, st->len) == 0 && name[st->len] == '\0';
    for (size_t i = 0; i < st->len; i++, name++) {
        char c = st->s[i];
        if (c == '\\')
            c = st->s[++i];
        if (*name != c)
            return 0; /* also when name ends first: c is never NUL */
    }
    return *name == '\0';
}

/* Take one step from *node. */
static futurl_status walk(const cJSON **node, const step *st) {
    const cJSON *n = *node;
    if (st->kind == STEP_INDEX) {
        if (!cJSON_IsArray(n))
            return FUTURL_ETYPE;
        const cJSON *e = n->child;
        for (size_t i = 0; e != NULL && i < st->index; i++)
            e = e->next;
        if (e == NULL)
            return FUTURL_ENOTFOUND;
        *node = e;
        return FUTURL_OK;
    }
    if (!cJSON_IsObject(n))
        return FUTURL_ETYPE;
    for (const cJSON *m = n->child; m != NULL; m = m->next)
        if (m->string != NULL && name_equals(m->string, st)) {
            *node = m;
            return FUTURL_OK;
        }
    return FUTURL_ENOTFOUND;
}

/* Follow path from root; root NULL only checks the path's syntax. */
static futurl_status follow(const char *path, const cJSON *root, const cJSON **out) {
    const cJSON *node = root;
    step st;
    for (const char *p = path; *p != '\0';) {
        if (read_step(&p, p == path, &st) != 0)
            return FUTURL_EJSONPATH;
        if (root != NULL) {
            futurl_status s = walk(&node, &st);
            if (s != FUTURL_OK)
                return s;
        }
    }
    *out = node;
    return FUTURL_OK;
}

futurl_status futurl_response_json_value(const futurl_response *r, const char *path,
                                         const cJSON **out) {
    if (out != NULL)
        *out = NULL;
    if (r == NULL || path == NULL || out == NULL)
        return FUTURL_EINVAL;
    const cJSON *doc;
    if (strnlen(path, FUTURL_MAX_JSON_PATH_LENGTH + 1) > FUTURL_MAX_JSON_PATH_LENGTH ||
        follow(path, NULL, &doc) != FUTURL_OK)
        return FUTURL_EJSONPATH;
    futurl_status st = futurl__response_json_doc(r, &doc);
    if (st != FUTURL_OK)
        return st;
    const cJSON *v;
    st = follow(path, doc, &v);
    if (st == FUTURL_OK)
        *out = v;
    return st;
}

/* A typed accessor's own part: is() says whether a value has its type; take()
 * writes the value at v to *out, or the type's zero when v is NULL, and
 * returns FUTURL_OK, or FUTURL_ETYPE (out left at zero) for a value of the
 * type it cannot hold. */
typedef struct json_type {
    cJSON_bool (*is)(const cJSON *v);
    futurl_status (*take)(const cJSON *v, void *out);
} json_type;

/* What every typed accessor does: *out zeroed first, FUTURL_EINVAL without
 * out, the path's error, FUTURL_ETYPE for a value of another type, else
 * what t->take says. */
static futurl_status typed(const futurl_response *r, const char *path, void *out,
                           const json_type *t) {
    if (out == NULL)
        return FUTURL_EINVAL;
    t->take(NULL, out);
    const cJSON *v;
    futurl_status st = futurl_response_json_value(r, path, &v);
    if (st != FUTURL_OK)
        return st;
    return t->is(v) ? t->take(v, out) : FUTURL_ETYPE;
}

static futurl_status take_string(const cJSON *v, void *out) {
    *(const char **)out = v != NULL ? v->valuestring : NULL;
    return FUTURL_OK;
}

static futurl_status take_number(const cJSON *v, void *out) {
    *(double *)out = v != NULL ? v->valuedouble : 0;
    return FUTURL_OK;
}

/* 2^53: every whole number up to it is a double exactly. */
#define EXACT_LIMIT 9007199254740992.0

static futurl_status take_int(const cJSON *v, void *out) {
    *(int64_t *)out = 0;
    if (v == NULL)
        return FUTURL_OK;
    double d = v->valuedouble; /* NaN fails both comparisons */
    if (!(d >= -EXACT_LIMIT && d <= EXACT_LIMIT) || d != (double)(int64_t)d)
        return FUTURL_ETYPE;
    *(int64_t *)out = (int64_t)d;
    return FUTURL_OK;
}

static futurl_status take_bool(const cJSON *v, void *out) {
    *(int *)out = v != NULL && cJSON_IsTrue(v) ? 1 : 0;
    return FUTURL_OK;
}

static const json_type JSON_STRING = {cJSON_IsString, take_string};
static const json_type JSON_NUMBER = {cJSON_IsNumber, take_number};
static const json_type JSON_INT = {cJSON_IsNumber, take_int};
static const json_type JSON_BOOL = {cJSON_IsBool, take_bool};

futurl_status futurl_response_json_string(const futurl_response *r, const char *path,
                                          const char **out) {
    return typed(r, path, out, &JSON_STRING);
}

futurl_status futurl_response_json_number(const futurl_response *r, const char *path,
                                          double *out) {
    return typed(r, path, out, &JSON_NUMBER);
}

futurl_status futurl_response_json_int(const futurl_response *r, const char *path,
                                       int64_t *out) {
    return typed(r, path, out, &JSON_INT);
}

futurl_status futurl_response_json_bool(const futurl_response *r, const char *path,
                                        int *out) {
    return typed(r, path, out, &JSON_BOOL);
}
