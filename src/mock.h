/*
 * src/mock.h — the mock transport (src/mock.c): a client's connections go
 * to a loopback server of the library's own, one thread per connection,
 * whose answers come from the caller's futurl_mock_fn. libcurl still does
 * everything above the socket. Not installed.
 */
#ifndef FUTURL_SRC_MOCK_H
#define FUTURL_SRC_MOCK_H

#include <curl/curl.h>

#include "futurl.h"

typedef struct futurl__mock futurl__mock;

/* A mock server answering with fn(req, resp, userdata). Nothing is opened
 * before the first connection. Returns FUTURL_OK or FUTURL_ENOMEM. */
futurl_status futurl__mock_new(futurl_mock_fn fn, void *userdata, futurl__mock **out);

/* Join every serving thread and free m (NULL allowed). Call once every
 * handle that connected through m is cleaned up: their connections are
 * closed then, and so each serving thread ends. */
void futurl__mock_free(futurl__mock *m);

/* libcurl's opensocket callback for a mocked client: a TCP socket bound
 * on loopback, and *address rewritten to m's listener, so that libcurl's
 * own connect reaches m, whose acceptor starts a serving thread for it.
 * CURL_SOCKET_BAD if it cannot be made (libcurl fails to connect). Any
 * thread. (libcurl 7.88 ignores CURL_SOCKOPT_ALREADY_CONNECTED, curl
 * issue 10626: so no socket handed over connected.) */
curl_socket_t futurl__mock_connect(futurl__mock *m, struct curl_sockaddr *address);

/* Serve the connection fd on this thread, as a serving thread does, until
 * it ends; closes fd. For tests that speak raw bytes to the parser. */
void futurl__mock_serve_fd(futurl__mock *m, int fd);

/* 1 if a caller may send this header in an answer: a token name, a value
 * without a control byte, not Content-Length, Transfer-Encoding or
 * Connection (the library frames the message). */
int futurl__mock_header_ok(const char *name, const char *value);

/* The handle options of a mocked client, set after every other: any host
 * and port to 127.0.0.1 (no DNS), no proxy, http only (also on
 * redirects). Returns FUTURL_OK, FUTURL_ENOMEM or FUTURL_ECURL (message
 * in errmsg, which may be NULL). */
futurl_status futurl__mock_setup(CURL *easy, char *errmsg, size_t errmsg_size);

#endif
