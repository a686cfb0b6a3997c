/*
 * cli/input.c — the futurl tool's input: the incremental line reader (one
 * read() at a time, at most one line of CLI_MAX_LINE bytes held, so a
 * ten-million-line input costs no more memory than a short one), and the
 * building of one request from an input item, a plain URL or a JSON object
 * line, with the command line's defaults. It owns what a slot points to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define READ_CHUNK (64u * 1024u)

/* ------------------------------------------------------------ the reader */

int cli_reader_open(cli_reader *r, const char *path) {
    memset(r, 0, sizeof *r);
    r->fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return -1;
    r->cap = READ_CHUNK + 1;
    r->buf = malloc(r->cap);
    if (r->buf == NULL) {
        if (r->fd != STDIN_FILENO)
            close(r->fd);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void cli_reader_close(cli_reader *r) {
    if (r->buf != NULL && r->fd != STDIN_FILENO && r->fd >= 0)
        close(r->fd);
    free(r->buf);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

int cli_reader_fill(cli_reader *r) {
    if (r->start > 0) { /* keep the partial line at the front */
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->cap - 1 - r->end < READ_CHUNK / 2) {
        /* A long line: grow, up to one maximal line plus one read. */
        size_t cap = r->cap * 2;
        if (cap > CLI_MAX_LINE + READ_CHUNK + 1)
            cap = CLI_MAX_LINE + READ_CHUNK + 1;
        if (cap > r->cap) {
            char *more = realloc(r->buf, cap);
            if (more == NULL) {
                r->err = ENOMEM;
                r->eof = 1;
                return -1;
            }
            r->buf = more;
            r->cap = cap;
        }
    }
    ssize_t n;
    do
        n = read(r->fd, r->buf + r->end, r->cap - 1 - r->end); /* 1 byte for a NUL */
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        r->err = errno;
        r->eof = 1;
        return -1;
    }
    if (n == 0)
        r->eof = 1;
    r->end += (size_t)n;
    return 0;
}

/* Trim blanks and a CR at both ends, in place. */
static char *trim(char *s, size_t len) {
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    s[len] = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int cli_reader_next(cli_reader *r, char **line, unsigned long *line_no) {
    for (;;) {
        char *at = r->buf + r->start;
        size_t have = r->end - r->start;
        char *nl = have > 0 ? memchr(at, '\n', have) : NULL;
        if (r->skipping) { /* the rest of an overlong line */
            if (nl == NULL) {
                r->start = r->end;
                return r->eof ? CLI_LINE_EOF : CLI_LINE_NEED_DATA;
            }
            r->start += (size_t)(nl - at) + 1;
            r->skipping = 0;
            continue;
        }
        size_t len;
        if (nl != NULL) {
            len = (size_t)(nl - at);
            r->start += len + 1;
        } else if (have > CLI_MAX_LINE) {
            r->line_no++;
            *line_no = r->line_no;
            r->skipping = 1;
            r->start = r->end;
            return CLI_LINE_TOO_LONG;
        } else if (r->eof && have > 0) { /* the last line has no newline */
            len = have;
            r->start = r->end;
        } else {
            return r->eof ? CLI_LINE_EOF : CLI_LINE_NEED_DATA;
        }
        r->line_no++;
        if (len > CLI_MAX_LINE) {
            *line_no = r->line_no;
            return CLI_LINE_TOO_LONG;
        }
        char *s = trim(at, len); /* at[len] is the newline or spare byte */
        if (*s == '\0' || *s == '#')
            continue;
        *line = s;
        *line_no = r->line_no;
        return CLI_LINE;
    }
}

/* ------------------------------------------------------------ a request */

void cli_slot_clear(cli_slot *s) {
    futurl_future_free(s->f);
    free(s->url);
    free(s->method_own);
    free(s->id_json);
    free(s->id_text);
    free(s->bad_msg);
    memset(s, 0, sizeof *s);
}

static int has_header(const cli_opts *o, const char *name) {
    for (size_t i = 0; i < o->n_headers; i++)
        if (strcasecmp(o->headers[i].name, name) == 0)
            return 1;
    return 0;
}

/* The -H headers: the first of a name replaces a default, later ones add. */
static futurl_status apply_headers(const cli_opts *o, futurl_request *r) {
    for (size_t i = 0; i < o->n_headers; i++) {
        const cli_header *h = &o->headers[i];
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = strcasecmp(o->headers[j].name, h->name) != 0;
        futurl_status st;
        if (h->value == NULL)
            st = futurl_request_remove_header(r, h->name);
        else if (first)
            st = futurl_request_set_header(r, h->name, h->value);
        else
            st = futurl_request_add_header(r, h->name, h->value);
        if (st != FUTURL_OK)
            return st;
    }
    return FUTURL_OK;
}

/* The command line's body (-d, --data-binary, --json). */
static futurl_status apply_body(const cli_opts *o, futurl_request *r) {
    if (o->body == NULL)
        return FUTURL_OK;
    const char *type = NULL;
    if (!has_header(o, "Content-Type"))
        type = o->body_json ? "application/json" : "application/x-www-form-urlencoded";
    futurl_status st = futurl_request_set_body(r, o->body, o->body_len, type);
    if (st == FUTURL_OK && o->body_json && !has_header(o, "Accept"))
        st = futurl_request_set_header(r, "Accept", "application/json");
    return st;
}

/* A JSON line's "headers": {"Name": "value", ...} or ["Name: value", ...]. */
static futurl_status apply_json_headers(const cJSON *h, futurl_request *r, char *msg,
                                        size_t cap) {
    const cJSON *item;
    if (cJSON_IsObject(h)) {
        cJSON_ArrayForEach(item, h) {
            if (!cJSON_IsString(item)) {
                snprintf(msg, cap, "header \"%s\": the value is not a string",
                         item->string);
                return FUTURL_EJSON;
            }
            futurl_status st =
                futurl_request_set_header(r, item->string, item->valuestring);
            if (st != FUTURL_OK) {
                snprintf(msg, cap, "header \"%s\": %s", item->string,
                         futurl_strerror(st));
                return st;
            }
        }
        return FUTURL_OK;
    }
    if (!cJSON_IsArray(h)) {
        snprintf(msg, cap, "\"headers\" must be an object or an array of strings");
        return FUTURL_EJSON;
    }
    cJSON_ArrayForEach(item, h) {
        const char *line = cJSON_GetStringValue(item);
        const char *colon = line != NULL ? strchr(line, ':') : NULL;
        if (colon == NULL || colon == line) {
            snprintf(msg, cap, "\"headers\": expected \"Name: value\" strings");
            return FUTURL_EJSON;
        }
        char name[256];
        size_t len = (size_t)(colon - line);
        if (len >= sizeof name) {
            snprintf(msg, cap, "\"headers\": a header name is too long");
            return FUTURL_EHEADER;
        }
        memcpy(name, line, len);
        name[len] = '\0';
        const char *value = colon + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        futurl_status st = futurl_request_add_header(r, name, value);
        if (st != FUTURL_OK) {
            snprintf(msg, cap, "header \"%s\": %s", name, futurl_strerror(st));
            return st;
        }
    }
    return FUTURL_OK;
}

/* The fields of a JSON request line. */
typedef struct json_line {
    cJSON *root;
    const char *url, *method;
    const cJSON *headers, *json, *body, *id;
} json_line;

static futurl_status parse_json_line(const char *text, json_line *j, char *msg,
                                     size_t cap) {
    memset(j, 0, sizeof *j);
    const char *end = NULL;
    size_t len = strlen(text);
    /* Not cJSON_GetErrorPtr (a global): the parse end tells where it stopped. */
    j->root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (j->root == NULL) {
        size_t at = end != NULL && end >= text ? (size_t)(end - text) : 0;
        snprintf(msg, cap, "invalid JSON at byte %zu", at);
        return FUTURL_EJSON;
    }
    while (end != NULL && (*end == ' ' || *end == '\t'))
        end++;
    if (end == NULL || *end != '\0') {
        snprintf(msg, cap, "invalid JSON: trailing bytes at byte %zu",
                 end != NULL ? (size_t)(end - text) : len);
        return FUTURL_EJSON;
    }
    if (!cJSON_IsObject(j->root)) {
        snprintf(msg, cap, "a JSON request line must be an object");
        return FUTURL_EJSON;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, j->root) {
        const char *k = item->string;
        if (strcmp(k, "url") == 0 && cJSON_IsString(item))
            j->url = item->valuestring;
        else if (strcmp(k, "method") == 0 && cJSON_IsString(item))
            j->method = item->valuestring;
        else if (strcmp(k, "headers") == 0)
            j->headers = item;
        else if (strcmp(k, "json") == 0)
            j->json = item;
        else if (strcmp(k, "body") == 0 && cJSON_IsString(item))
            j->body = item;
        else if (strcmp(k, "id") == 0)
            j->id = item;
        else {
            snprintf(msg, cap,
                     "key \"%.64s\": unknown or of the wrong type (url, method, body: "
                     "strings; headers, json, id)",
                     k);
            return FUTURL_EJSON;
        }
    }
    if (j->url == NULL) {
        snprintf(msg, cap, "no \"url\" string");
        return FUTURL_EJSON;
    }
    if (j->json != NULL && j->body != NULL) {
        snprintf(msg, cap, "\"json\" and \"body\" exclude each other");
        return FUTURL_EJSON;
    }
    return FUTURL_OK;
}

/* The id as the slot keeps it: its JSON text, and for {id} a string's text
 * or a number's JSON (other types: none, and {id} falls back to {n}). */
static futurl_status keep_id(const cJSON *id, cli_slot *s) {
    s->id_json = cJSON_PrintUnformatted(id);
    if (s->id_json == NULL)
        return FUTURL_ENOMEM;
    if (cJSON_IsString(id))
        s->id_text = strdup(id->valuestring);
    else if (cJSON_IsNumber(id))
        s->id_text = strdup(s->id_json);
    else
        return FUTURL_OK;
    return s->id_text != NULL ? FUTURL_OK : FUTURL_ENOMEM;
}

futurl_status cli_build_request(const cli_opts *o, const char *text, cli_slot *s,
                                futurl_request **out, char *msg, size_t cap) {
    *out = NULL;
    msg[0] = '\0';
    json_line j = {0};
    const char *url = text;
    futurl_status st = FUTURL_OK;
    if (text[0] == '{') {
        st = parse_json_line(text, &j, msg, cap);
        url = j.url;
    }
    const char *method = j.method != NULL    ? j.method
                         : o->method != NULL ? o->method
                         : (j.json != NULL || j.body != NULL || o->body != NULL) ? "POST"
                                                                                 : "GET";
    if (url != NULL && (s->url = strdup(url)) == NULL)
        st = FUTURL_ENOMEM;
    if (st == FUTURL_OK && j.method != NULL &&
        (method = s->method_own = strdup(j.method)) == NULL)
        st = FUTURL_ENOMEM;
    s->method = st == FUTURL_OK ? method : NULL;
    if (st == FUTURL_OK && j.id != NULL)
        st = keep_id(j.id, s);
    futurl_request *r = NULL;
    if (st == FUTURL_OK && (st = futurl_request_new(method, url, &r)) != FUTURL_OK)
        snprintf(msg, cap, "%s", futurl_strerror(st));
    if (st == FUTURL_OK && (st = apply_headers(o, r)) != FUTURL_OK)
        snprintf(msg, cap, "-H: %s", futurl_strerror(st));
    if (st == FUTURL_OK && j.headers != NULL)
        st = apply_json_headers(j.headers, r, msg, cap);
    if (st == FUTURL_OK) {
        if (j.json != NULL)
            st = futurl_request_set_json(r, j.json);
        else if (j.body != NULL)
            st = futurl_request_set_body(r, j.body->valuestring,
                                         strlen(j.body->valuestring), NULL);
        else
            st = apply_body(o, r);
        if (st != FUTURL_OK && msg[0] == '\0')
            snprintf(msg, cap, "body: %s", futurl_strerror(st));
    }
    cJSON_Delete(j.root);
    if (st != FUTURL_OK) {
        futurl_request_free(r);
        if (msg[0] == '\0')
            snprintf(msg, cap, "%s", futurl_strerror(st));
        return st;
    }
    *out = r;
    return FUTURL_OK;
}
