/*
 * src/hostkey.c — the host key of a URL from libcurl's own parse (see
 * hostkey.h). One CURLU parse per call: callers compute a request's key
 * once, and only when something needs it.
 */
#include "hostkey.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"

/* The flags libcurl 7.88 parses CURLOPT_URL with (url.c,
 * parseurlandfillconn; futurl sets neither DISALLOW_USERNAME_IN_URL nor
 * PATH_AS_IS). */
#define PERFORM_FLAGS (CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME)

static futurl_status from_curlu(CURLUcode uc) {
    return uc == CURLUE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_EURL;
}

static int is_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* The punycode form of u's non-ASCII host, new (free()), or NULL when the
 * locale does not let libidn2 convert it. Read from the URL libcurl writes
 * with CURLU_PUNYCODE: asking for the host alone leaks when the conversion
 * fails (libcurl 7.88.1). With CURLU_DEFAULT_PORT the host is followed by
 * ":port", and it is not an IPv6 literal (those are ASCII). */
static char *ace_host(CURLU *u) {
    char *url = NULL, *ace = NULL;
    if (curl_url_get(u, CURLUPART_URL, &url, CURLU_PUNYCODE | CURLU_DEFAULT_PORT) !=
        CURLUE_OK)
        return NULL;
    const char *auth = strstr(url, "://");
    if (auth != NULL) {
        auth += 3;
        const char *end = auth + strcspn(auth, "/"), *host = auth, *colon = NULL;
        for (const char *p = auth; p < end; p++) {
            if (*p == '@' && host == auth)
                host = p + 1; /* user info ends at the first '@' */
            else if (*p == ':')
                colon = p;
        }
        if (colon != NULL && colon > host && (ace = malloc((size_t)(colon - host) + 1))) {
            memcpy(ace, host, (size_t)(colon - host));
            ace[colon - host] = '\0';
        }
    }
    curl_free(url);
    return ace;
}

/*
 * The host as libcurl's connection names it: *host (curl_free()), or *ace
 * (free()) when that is set. At perform, libcurl 7.88 asks for the
 * normalised URL before the host, and writing the URL encodes each '%' of
 * a (decoded) host name as "%25" in place: "http://a%2541/" is host
 * "a%2541", not "a%41". So a host with a '%' is read again after the URL
 * is written, as libcurl does. A non-ASCII name goes to libidn2 as libcurl
 * does before it resolves (CURLU_PUNYCODE is the same conversion); when
 * the locale does not let it convert, libcurl fails the transfer
 * (CURLE_URL_MALFORMAT) and the name as written serves as key.
 */
static CURLUcode get_host(CURLU *u, char **host, char **ace) {
    CURLUcode uc = curl_url_get(u, CURLUPART_HOST, host, 0);
    if (uc == CURLUE_OK && strchr(*host, '%') != NULL && (*host)[0] != '[') {
        char *written = NULL;
        curl_free(*host);
        *host = NULL;
        uc = curl_url_get(u, CURLUPART_URL, &written, 0);
        curl_free(written);
        if (uc == CURLUE_OK)
            uc = curl_url_get(u, CURLUPART_HOST, host, 0);
    }
    if (uc == CURLUE_OK && !is_ascii(*host))
        *ace = ace_host(u);
    return uc;
}

futurl_status futurl__host_key(const char *url, char **key) {
    *key = NULL;
    CURLU *u = curl_url();
    if (u == NULL)
        return FUTURL_ENOMEM;
    char *scheme = NULL, *host = NULL, *ace = NULL, *port = NULL, *zone = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, PERFORM_FLAGS);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (uc == CURLUE_OK)
        uc = get_host(u, &host, &ace);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (uc == CURLUE_OK && host[0] == '[') {
        uc = curl_url_get(u, CURLUPART_ZONEID, &zone, 0);
        if (uc == CURLUE_NO_ZONEID)
            uc = CURLUE_OK;
    }

    futurl_status st = FUTURL_OK;
    if (uc != CURLUE_OK) {
        st = from_curlu(uc);
    } else {
        /* "[v6]" with a zone is written "[v6%25zone]", as libcurl writes it. */
        const char *name = ace != NULL ? ace : host;
        size_t scheme_len = strlen(scheme), host_len = strlen(name);
        size_t zone_len = zone ? strlen(zone) : 0, port_len = strlen(port);
        size_t bare_len = zone ? host_len - 1 : host_len; /* without the ']' */
        char *k = malloc(scheme_len + 3 + host_len + 3 + zone_len + 1 + port_len + 1);
        if (k == NULL) {
            st = FUTURL_ENOMEM;
        } else {
            char *p = k;
            /* Schemes and host names are case-insensitive; a zone (an
             * interface name) is not. */
            for (size_t i = 0; i < scheme_len; i++)
                *p++ = (char)futurl__ascii_lower((unsigned char)scheme[i]);
            memcpy(p, "://", 3);
            p += 3;
            for (size_t i = 0; i < bare_len; i++)
                *p++ = (char)futurl__ascii_lower((unsigned char)name[i]);
            if (zone != NULL) {
                memcpy(p, "%25", 3);
                memcpy(p + 3, zone, zone_len);
                p[3 + zone_len] = ']';
                p += 3 + zone_len + 1;
            }
            *p++ = ':';
            memcpy(p, port, port_len + 1);
            *key = k;
        }
    }
    curl_free(scheme);
    curl_free(host);
    free(ace);
    curl_free(port);
    curl_free(zone);
    curl_url_cleanup(u);
    return st;
}

const char *futurl__host_key_host(const char *key, size_t *len) {
    const char *host = strstr(key, "://");
    host = host ? host + 3 : key;
    if (host[0] == '[') { /* "[v6]" or "[v6%25zone]": a zone cannot hold ']' */
        host++;
        *len = strcspn(host, "%]");
    } else { /* the port is always there and a name holds no ':' */
        const char *colon = strrchr(host, ':');
        *len = colon ? (size_t)(colon - host) : strlen(host);
    }
    return host;
}
