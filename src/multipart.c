/*
 * src/multipart.c — multipart/form-data uploads on libcurl's mime API.
 * A request keeps a description of its parts (fields, files by path,
 * in-memory data, streamed parts with a read callback), copied when added;
 * each attempt builds a fresh curl_mime from it on the worker's own easy
 * handle (a curl_mime is tied to the handle that made it) and frees it
 * after the transfer, so a retry sends every part again from the start
 * and the next request on that handle inherits nothing. A streamed part
 * can be sent again only through its rewind callback: without one, a
 * retry after it was read is refused (futurl__parts_unrewindable).
 */
#include "multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum part_kind { PART_FIELD, PART_FILE, PART_DATA, PART_STREAM } part_kind;

typedef struct part {
    part_kind kind;
    char *name;
    char *filename;     /* NULL: none (files: the path's base name) */
    char *content_type; /* NULL: libcurl's choice */
    char *path;         /* PART_FILE */
    char *data;         /* PART_FIELD, PART_DATA: a copy */
    size_t len;
    /* PART_STREAM */
    futurl_read_fn read;
    futurl_rewind_fn rewind;
    void *userdata;
    curl_off_t size; /* -1: unknown (sent chunked) */
    int consumed;    /* an attempt read from it: touched only by its job */
} part;

struct futurl__parts {
    part *v;
    size_t count, cap;
};

/* A streamed part as one attempt's read callback sees it. */
typedef struct stream_ctx {
    part *p;
    futurl__mime *m;
} stream_ctx;

struct futurl__mime {
    curl_mime *mime;
    const char *aborted; /* the part whose read callback aborted */
    size_t nstreams;
    stream_ctx streams[]; /* one per streamed part */
};

/* ---------------------------------------------------------------- build */

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg) {
    stream_ctx *s = arg;
    s->p->consumed = 1;
    size_t n = s->p->read(buf, size * nitems, s->p->userdata);
    if (n == FUTURL_READ_ABORT || n > size * nitems) {
        s->m->aborted = s->p->name;
        return CURL_READFUNC_ABORT;
    }
    return n;
}

/* libcurl rewinds a part when it sends the request again inside one
 * attempt (a stale kept-alive connection, a redirect that keeps the body). */
static int seek_cb(void *arg, curl_off_t offset, int origin) {
    stream_ctx *s = arg;
    if (offset != 0 || origin != SEEK_SET || s->p->rewind == NULL)
        return CURL_SEEKFUNC_CANTSEEK;
    return s->p->rewind(s->p->userdata) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

static futurl_status mime_failed(CURLcode cc, const char *what, char *errmsg,
                                 size_t size) {
    if (errmsg != NULL && size != 0)
        snprintf(errmsg, size, "building the multipart body: %s: %s", what,
                 curl_easy_strerror(cc));
    return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM
           : cc == CURLE_READ_ERROR  ? FUTURL_EIO /* a file part cannot be read */
                                     : FUTURL_ECURL;
}

futurl_status futurl__mime_build(futurl__parts *ps, CURL *easy, futurl__mime **out,
                                 char *errmsg, size_t errmsg_size) {
    size_t nstreams = 0;
    *out = NULL;
    for (size_t i = 0; i < ps->count; i++) {
        part *p = &ps->v[i];
        if (p->kind != PART_STREAM)
            continue;
        nstreams++;
        if (p->consumed && p->rewind != NULL) {
            if (p->rewind(p->userdata) != 0) {
                if (errmsg != NULL && errmsg_size != 0)
                    snprintf(errmsg, errmsg_size,
                             "the rewind callback of streamed part \"%s\" failed",
                             p->name);
                return FUTURL_EABORTED;
            }
            p->consumed = 0;
        }
    }
    futurl__mime *m = calloc(1, sizeof *m + nstreams * sizeof m->streams[0]);
    if (m == NULL || (m->mime = curl_mime_init(easy)) == NULL) {
        free(m);
        return mime_failed(CURLE_OUT_OF_MEMORY, "curl_mime_init", errmsg, errmsg_size);
    }
    CURLcode cc = CURLE_OK;
    const char *what = "";
    for (size_t i = 0; i < ps->count && cc == CURLE_OK; i++) {
        part *p = &ps->v[i];
        curl_mimepart *mp = curl_mime_addpart(m->mime);
        if (mp == NULL) {
            cc = CURLE_OUT_OF_MEMORY;
            what = "curl_mime_addpart";
            break;
        }
        if ((cc = curl_mime_name(mp, p->name)) != CURLE_OK) {
            what = "curl_mime_name";
            break;
        }
        switch (p->kind) {
        case PART_FIELD:
        case PART_DATA:
            what = "curl_mime_data";
            cc = curl_mime_data(mp, p->data, p->len);
            break;
        case PART_FILE:
            what = "curl_mime_filedata";
            cc = curl_mime_filedata(mp, p->path);
            break;
        case PART_STREAM: {
            stream_ctx *s = &m->streams[m->nstreams++];
            s->p = p;
            s->m = m;
            what = "curl_mime_data_cb";
            cc = curl_mime_data_cb(mp, p->size, read_cb, seek_cb, NULL, s);
            break;
        }
        }
        if (cc == CURLE_OK && p->filename != NULL) {
            what = "curl_mime_filename";
            cc = curl_mime_filename(mp, p->filename);
        }
        if (cc == CURLE_OK && p->content_type != NULL) {
            what = "curl_mime_type";
            cc = curl_mime_type(mp, p->content_type);
        }
    }
    if (cc != CURLE_OK) {
        futurl__mime_free(m);
        return mime_failed(cc, what, errmsg, errmsg_size);
    }
    *out = m;
    return FUTURL_OK;
}

curl_mime *futurl__mime_handle(futurl__mime *m) {
    return m->mime;
}

const char *futurl__mime_aborted(const futurl__mime *m) {
    return m != NULL ? m->aborted : NULL;
}

void futurl__mime_free(futurl__mime *m) {
    if (m == NULL)
        return;
    curl_mime_free(m->mime);
    free(m);
}

const char *futurl__parts_unrewindable(const futurl__parts *ps) {
    for (size_t i = 0; ps != NULL && i < ps->count; i++)
        if (ps->v[i].kind == PART_STREAM && ps->v[i].consumed && ps->v[i].rewind == NULL)
            return ps->v[i].name;
    return NULL;
}

/* ----------------------------------------------------------- description */

static void part_free(part *p) {
    free(p->name);
    free(p->filename);
    free(p->content_type);
    free(p->path);
    free(p->data);
}

void futurl__parts_free(futurl__parts *ps) {
    if (ps == NULL)
        return;
    for (size_t i = 0; i < ps->count; i++)
        part_free(&ps->v[i]);
    free(ps->v);
    free(ps);
}

/* A name, file name or content type libcurl writes into a part's header:
 * no control byte (CR or LF would end the header early), at most
 * FUTURL_MAX_OPTION_LENGTH bytes. */
static int text_ok(const char *s) {
    size_t n = 0;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++, n++)
        if ((*q < 0x20 && *q != '\t') || *q == 0x7f)
            return 0;
    return n <= FUTURL_MAX_OPTION_LENGTH;
}

static char *dup_or_null(const char *s, int *failed) {
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d == NULL)
        *failed = 1;
    else
        memcpy(d, s, n);
    return d;
}

/* Check the arguments every kind of part has. */
static futurl_status check(const char *name, const char *filename,
                           const char *content_type) {
    if (name == NULL || !text_ok(name) || (filename != NULL && !text_ok(filename)))
        return FUTURL_EINVAL;
    if (content_type != NULL && (!text_ok(content_type) || content_type[0] == '\0'))
        return FUTURL_EHEADER;
    return FUTURL_OK;
}

/* Append p (its strings taken) to *pps, made on first use; on failure p
 * is freed. */
static futurl_status add(futurl__parts **pps, part *p, int failed) {
    futurl__parts *ps = *pps;
    if (!failed && ps == NULL && (ps = *pps = calloc(1, sizeof *ps)) == NULL)
        failed = 1;
    if (!failed && ps->count == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 4;
        part *v = realloc(ps->v, cap * sizeof *v);
        if (v == NULL) {
            failed = 1;
        } else {
            ps->v = v;
            ps->cap = cap;
        }
    }
    if (failed) {
        part_free(p);
        return FUTURL_ENOMEM;
    }
    ps->v[ps->count++] = *p;
    return FUTURL_OK;
}

futurl_status futurl__parts_add_bytes(futurl__parts **pps, const char *name,
                                      const void *data, size_t len, const char *filename,
                                      const char *content_type) {
    futurl_status st = check(name, filename, content_type);
    if (st != FUTURL_OK)
        return st;
    if (data == NULL && len != 0)
        return FUTURL_EINVAL;
    int failed = 0;
    part p = {.kind = filename == NULL && content_type == NULL ? PART_FIELD : PART_DATA,
              .len = len};
    p.name = dup_or_null(name, &failed);
    p.filename = dup_or_null(filename, &failed);
    p.content_type = dup_or_null(content_type, &failed);
    if ((p.data = malloc(len ? len : 1)) == NULL)
        failed = 1;
    else if (len != 0)
        memcpy(p.data, data, len);
    return add(pps, &p, failed);
}

futurl_status futurl__parts_add_file(futurl__parts **pps, const char *name,
                                     const char *path, const char *filename,
                                     const char *content_type) {
    futurl_status st = check(name, filename, content_type);
    if (st != FUTURL_OK)
        return st;
    if (path == NULL || path[0] == '\0' || strlen(path) > FUTURL_MAX_OPTION_LENGTH)
        return FUTURL_EINVAL;
    FILE *fp = fopen(path, "rb"); /* fail now, not in a worker later */
    if (fp == NULL)
        return FUTURL_EIO;
    fclose(fp);
    int failed = 0;
    part p = {.kind = PART_FILE};
    p.name = dup_or_null(name, &failed);
    p.filename = dup_or_null(filename, &failed);
    p.content_type = dup_or_null(content_type, &failed);
    p.path = dup_or_null(path, &failed);
    return add(pps, &p, failed);
}

futurl_status futurl__parts_add_stream(futurl__parts **pps, const char *name,
                                       futurl_read_fn read, int64_t size,
                                       futurl_rewind_fn rewind, void *userdata,
                                       const char *filename, const char *content_type) {
    futurl_status st = check(name, filename, content_type);
    if (st != FUTURL_OK)
        return st;
    if (read == NULL || size < -1)
        return FUTURL_EINVAL;
    int failed = 0;
    part p = {.kind = PART_STREAM,
              .read = read,
              .rewind = rewind,
              .userdata = userdata,
              .size = (curl_off_t)size};
    p.name = dup_or_null(name, &failed);
    p.filename = dup_or_null(filename, &failed);
    p.content_type = dup_or_null(content_type, &failed);
    return add(pps, &p, failed);
}
