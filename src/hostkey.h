/*
 * src/hostkey.h — which host a request goes to, as libcurl will connect to
 * it: the key of per-host limits, the 429 hold and the static cookies. It
 * comes from libcurl's own URL parser (CURLU) with the flags libcurl 7.88
 * parses CURLOPT_URL with at perform, so the library and libcurl can never
 * disagree on the host. Pure: no client state; the same URL always gives
 * the same key (IDN hosts: in the same locale, as for libcurl itself).
 * Not installed.
 */
#ifndef FUTURL_SRC_HOSTKEY_H
#define FUTURL_SRC_HOSTKEY_H

#include <stddef.h>

#include "futurl.h"

/*
 * The host key of an absolute URL: "scheme://host:port", where
 * - scheme is lower-case (http or https),
 * - host is the one libcurl connects to, lower-case: user info dropped,
 *   percent-escapes decoded, IPv4 numbers normalised ("http://2" and
 *   "http://0x7f.1" are 0.0.0.2 and 127.0.0.1), a non-ASCII name in its
 *   IDNA (punycode) form when the locale lets libcurl convert it, a
 *   trailing dot kept (libcurl 7.88 keeps it: "h." is another host than
 *   "h"), an IPv6 literal in brackets as libcurl shortens it, with its
 *   zone as "%25zone" inside the brackets;
 * - port is always there, the scheme's default filled in ("http://h" and
 *   "http://h:80" are one host).
 * Returns FUTURL_OK with *key set, FUTURL_EURL (libcurl refuses url),
 * FUTURL_ENOMEM. Ownership: *key is new (free()). Thread-safety: any thread.
 */
futurl_status futurl__host_key(const char *url, char **key);

/* The host of a key as libcurl's cookie engine compares it (its
 * connection's host name): without the brackets and zone of an IPv6
 * literal. Returns a pointer into key, its length in *len. */
const char *futurl__host_key_host(const char *key, size_t *len);

#endif
