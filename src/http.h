/*
 * src/http.h — small text helpers the HTTP layer shares (request, response,
 * transfer, cookies): RFC 9110 token and field checks, ASCII case-insensitive
 * comparison (never the locale's), and a growable byte buffer. Header-only;
 * not installed.
 */
#ifndef FUTURL_SRC_HTTP_H
#define FUTURL_SRC_HTTP_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* RFC 9110 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
static inline int futurl__is_tchar(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* 1 if s[0..len) is a non-empty token (a method or a header name). */
static inline int futurl__is_token(const char *s, size_t len) {
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!futurl__is_tchar((unsigned char)s[i]))
            return 0;
    return 1;
}

/* 1 if s may be a header field value: no control character but HTAB (so no
 * CR, LF or NUL smuggling a second header or request). */
static inline int futurl__is_field_value(const char *s) {
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static inline unsigned char futurl__ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* 1 if a[0..alen) equals b[0..blen) ignoring ASCII case. */
static inline int futurl__ascii_ieq(const char *a, size_t alen, const char *b,
                                    size_t blen) {
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (futurl__ascii_lower((unsigned char)a[i]) !=
            futurl__ascii_lower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* 1 if the C strings a and b are equal ignoring ASCII case. */
static inline int futurl__ascii_streq(const char *a, const char *b) {
    for (; *a && futurl__ascii_lower((unsigned char)*a) ==
                     futurl__ascii_lower((unsigned char)*b);
         a++, b++)
        ;
    return *a == '\0' && *b == '\0';
}

/* A growable byte buffer, always NUL-terminated once it holds anything. */
typedef struct futurl__buf {
    char *data;
    size_t len, cap; /* cap counts the byte kept for the NUL */
} futurl__buf;

/* Make room for extra more bytes (plus the NUL), doubling so that appends
 * stay linear. Returns 0, or -1 when out of memory (buf untouched). */
static inline int futurl__buf_reserve(futurl__buf *b, size_t extra) {
    if (extra > (size_t)-1 / 2 - b->len)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

/* Append data[0..len). Returns 0 or -1 (out of memory). */
static inline int futurl__buf_append(futurl__buf *b, const void *data, size_t len) {
    if (futurl__buf_reserve(b, len) != 0)
        return -1;
    if (len != 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static inline int futurl__buf_puts(futurl__buf *b, const char *s) {
    return futurl__buf_append(b, s, strlen(s));
}

static inline void futurl__buf_free(futurl__buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif
