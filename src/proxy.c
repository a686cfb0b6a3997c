/*
 * src/proxy.c — proxy credentials, the proxy's CA file and the no-proxy
 * list. Credentials go through libcurl's proxy auth
 * (CURLOPT_PROXYUSERNAME/PASSWORD), never as a header of ours: libcurl
 * sends Proxy-Authorization to the proxy alone — on an absolute-form
 * request or on CONNECT, never inside the tunnel and never to a host the
 * no-proxy list sends direct.
 */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* NULL, or at most FUTURL_MAX_OPTION_LENGTH bytes without a control byte
 * (a no-proxy list or a file name has none; libcurl would cut a
 * credential at a CR or LF in its header). */
static int option_ok(const char *s) {
    if (s == NULL)
        return 1;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
        if (*p < 0x20 || *p == 0x7f || n >= FUTURL_MAX_OPTION_LENGTH)
            return 0;
    return 1;
}

futurl_status futurl__proxy_options_check(const futurl_client_options *o) {
    if (o->proxy_password != NULL && o->proxy_username == NULL)
        return FUTURL_EINVAL;
    if (!option_ok(o->proxy_username) || !option_ok(o->proxy_password) ||
        !option_ok(o->proxy_ca_file) || !option_ok(o->no_proxy))
        return FUTURL_EINVAL;
    return FUTURL_OK;
}

futurl_status futurl__no_proxy_merge(const char **no_proxy) {
    const char *env = getenv("no_proxy");
    if (env == NULL || env[0] == '\0')
        env = getenv("NO_PROXY");
    if (*no_proxy == NULL || (*no_proxy)[0] == '\0' || env == NULL || env[0] == '\0')
        return FUTURL_OK;
    size_t a = strlen(*no_proxy), b = strlen(env);
    char *joined = malloc(a + 1 + b + 1);
    if (joined == NULL)
        return FUTURL_ENOMEM;
    memcpy(joined, *no_proxy, a);
    joined[a] = ',';
    memcpy(joined + a + 1, env, b + 1);
    free((char *)*no_proxy);
    *no_proxy = joined;
    return FUTURL_OK;
}

/* A failed setopt of what, said in errmsg. */
static futurl_status failed(CURLcode cc, const char *what, char *errmsg,
                            size_t errmsg_size) {
    if (errmsg != NULL && errmsg_size != 0)
        snprintf(errmsg, errmsg_size, "curl_easy_setopt(%s): %s", what,
                 curl_easy_strerror(cc));
    return cc == CURLE_OUT_OF_MEMORY ? FUTURL_ENOMEM : FUTURL_ECURL;
}

/* Set one string option; on failure say which in errmsg. */
static futurl_status set(CURL *easy, CURLoption opt, const char *what, const char *value,
                         char *errmsg, size_t errmsg_size) {
    CURLcode cc = curl_easy_setopt(easy, opt, value);
    return cc == CURLE_OK ? FUTURL_OK : failed(cc, what, errmsg, errmsg_size);
}

futurl_status futurl__proxy_setup(CURL *easy, const futurl_client_options *o,
                                  char *errmsg, size_t errmsg_size) {
    futurl_status st = FUTURL_OK;
    if (o->proxy_username != NULL) {
        st = set(easy, CURLOPT_PROXYUSERNAME, "CURLOPT_PROXYUSERNAME", o->proxy_username,
                 errmsg, errmsg_size);
        if (st == FUTURL_OK)
            st = set(easy, CURLOPT_PROXYPASSWORD, "CURLOPT_PROXYPASSWORD",
                     o->proxy_password ? o->proxy_password : "", errmsg, errmsg_size);
    }
    if (st == FUTURL_OK && o->proxy_ca_file != NULL)
        st = set(easy, CURLOPT_PROXY_CAINFO, "CURLOPT_PROXY_CAINFO", o->proxy_ca_file,
                 errmsg, errmsg_size);
    if (st == FUTURL_OK && !o->verify_tls) {
        /* libcurl verifies an https:// proxy apart from the origin. */
        CURLcode cc = curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(easy, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
        if (cc != CURLE_OK)
            st = failed(cc, "CURLOPT_PROXY_SSL_VERIFY*", errmsg, errmsg_size);
    }
    if (st == FUTURL_OK && o->no_proxy != NULL)
        st = set(easy, CURLOPT_NOPROXY, "CURLOPT_NOPROXY", o->no_proxy, errmsg,
                 errmsg_size);
    return st;
}
