/*
 * test/hostkey_oracle.h — what libcurl itself makes of a URL's host, for
 * the differential checks of src/hostkey.c in test/test_hostkey.c and
 * test/fuzz/fuzz_url.c. It replays what libcurl 7.88 does with CURLOPT_URL
 * at perform (url.c parseurlandfillconn): parse with the same flags, write
 * the normalised URL (libcurl then works from that), take the host. The
 * key is then cut from that URL as text — another route than
 * src/hostkey.c's, which asks CURLU for the parts — with the scheme's
 * default port filled in from a table of our own and a non-ASCII host
 * converted as libcurl converts it before it resolves (libidn2, through
 * CURLU_PUNYCODE), lower-cased as a key is (an IPv6 zone keeps its case).
 */
#ifndef FUTURL_TEST_HOSTKEY_ORACLE_H
#define FUTURL_TEST_HOSTKEY_ORACLE_H

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse url as libcurl does at perform and write its normalised URL into
 * *norm (curl_free). Returns the handle, NULL if libcurl refuses url. */
static inline CURLU *oracle_parse(const char *url, char **norm) {
    CURLU *u = curl_url();
    *norm = NULL;
    if (u == NULL ||
        curl_url_set(u, CURLUPART_URL, url,
                     CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, norm, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        return NULL;
    }
    return u;
}

static inline int oracle_ascii(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

/* In a URL libcurl wrote, "scheme://[user[:password]@]host[:port]/path…",
 * the host: user info and host hold no '/', and user info no '@' (libcurl
 * splits at the first; an IPv6 zone may hold one), so the authority ends
 * at the first '/' and the host starts after its first '@'; it ends after
 * its closing bracket or at its only ':'. *port: the port (NULL if none). */
static inline const char *oracle_url_host(const char *url, size_t *len, const char **port,
                                          size_t *port_len) {
    const char *auth = strstr(url, "://") + 3, *auth_end = auth + strcspn(auth, "/");
    const char *at = (const char *)memchr(auth, '@', (size_t)(auth_end - auth));
    const char *host = at ? at + 1 : auth;
    const char *host_end = host;
    if (*host == '[')
        host_end = (const char *)memchr(host, ']', (size_t)(auth_end - host)) + 1;
    else
        while (host_end < auth_end && *host_end != ':')
            host_end++;
    *len = (size_t)(host_end - host);
    *port = host_end < auth_end ? host_end + 1 : NULL;
    *port_len = *port ? (size_t)(auth_end - *port) : 0;
    return host;
}

/* The host libcurl connects to for url, as it appears in the URL libcurl
 * writes: its punycode form for a non-ASCII name the locale lets libidn2
 * convert (the same conversion libcurl makes before it resolves). Sets
 * *text to the URL it cut it from (curl_free) and returns the handle; NULL
 * if libcurl refuses url. */
static inline CURLU *oracle_host(const char *url, char **text, const char **host,
                                 size_t *len, const char **port, size_t *port_len) {
    CURLU *u = oracle_parse(url, text);
    if (u == NULL)
        return NULL;
    *host = oracle_url_host(*text, len, port, port_len);
    char *ace = NULL;
    if (!oracle_ascii(*host, *len) &&
        curl_url_get(u, CURLUPART_URL, &ace, CURLU_PUNYCODE) == CURLUE_OK) {
        curl_free(*text);
        *text = ace;
        *host = oracle_url_host(*text, len, port, port_len);
    }
    return u;
}

/* The host key of url as libcurl connects to it, new (free()); NULL if
 * libcurl refuses url (or out of memory). */
static inline char *oracle_host_key(const char *url) {
    char *text = NULL, *key = NULL;
    const char *host, *port;
    size_t host_len, port_len;
    CURLU *u = oracle_host(url, &text, &host, &host_len, &port, &port_len);
    if (u == NULL)
        return NULL;
    size_t scheme_len = (size_t)(strstr(text, "://") - text);
    if (port == NULL) {
        port = scheme_len == 5 ? "443" : "80"; /* https : http */
        port_len = strlen(port);
    }
    key = malloc(scheme_len + 3 + host_len + 1 + port_len + 1);
    if (key != NULL) {
        sprintf(key, "%.*s://%.*s:%.*s", (int)scheme_len, text, (int)host_len, host,
                (int)port_len, port);
        char *end = key + scheme_len + 3;
        end += *end == '[' ? strcspn(end, "%]") : host_len;
        for (char *p = key; p < end; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    }
    curl_free(text);
    curl_url_cleanup(u);
    return key;
}

/* The host libcurl's connection (and so its cookie engine) names for url:
 * the host part libcurl reads after writing the URL, without the brackets
 * of an IPv6 literal (its zone is a part of its own), or for a non-ASCII
 * name its conversion; new (free()), NULL if libcurl refuses url. */
static inline char *oracle_cookie_host(const char *url) {
    char *text = NULL, *part = NULL, *out = NULL;
    const char *host, *port;
    size_t len, port_len;
    CURLU *u = oracle_host(url, &text, &host, &len, &port, &port_len);
    if (u != NULL && curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
        if (oracle_ascii(part, strlen(part))) {
            host = part;
            len = strlen(part);
        }
        if (host[0] == '[') {
            host++;
            len -= 2;
        }
        if ((out = malloc(len + 1)) != NULL) {
            memcpy(out, host, len);
            out[len] = '\0';
        }
    }
    curl_free(part);
    curl_free(text);
    curl_url_cleanup(u);
    return out;
}

/* futurl's own rule on top of libcurl's parser, written again from its
 * description (include/futurl.h, futurl_request_new): 1 if url's host name
 * (not an IPv6 literal) holds an escape of DEL or of an unreserved byte —
 * libcurl takes those, futurl refuses them. Read from the text: the
 * authority after "://" up to '/', '?' or '#', after its first '@', up
 * to ':'. */
static inline int oracle_refused_escape(const char *url) {
    const char *p = strstr(url, "://");
    if (p == NULL)
        return 0;
    p += 3;
    size_t n = strcspn(p, "/?#");
    const char *at = (const char *)memchr(p, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (n > 0 && *p == '[')
        return 0;
    const char *colon = (const char *)memchr(p, ':', n);
    const char *end = colon ? colon : p + n;
    static const char hex[] = "0123456789abcdef0123456789ABCDEF";
    for (; p + 2 < end; p++) {
        const char *h = p[0] == '%' && p[1] ? strchr(hex, p[1]) : NULL;
        const char *l = h && p[2] ? strchr(hex, p[2]) : NULL;
        if (h == NULL || l == NULL)
            continue;
        int c = ((int)(h - hex) % 16) * 16 + (int)(l - hex) % 16;
        if (c == 0x7f || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
            return 1;
        p += 2;
    }
    return 0;
}

#endif
