/*
 * src/client.h — what client.c offers beside the public API: the client's
 * state (client_data.h) and the parse of its static cookies. Not
 * installed.
 */
#ifndef FUTURL_SRC_CLIENT_H
#define FUTURL_SRC_CLIENT_H

#include "client_data.h"

/* Split opts.cookies ("a=1; b=2", already checked to be a header value)
 * into c->static_cookies, "name\tvalue" pairs. A name is a token; a value
 * may not hold a tab, the separator of libcurl's cookie lines. At most
 * FUTURL_MAX_COOKIES of them and FUTURL_MAX_COOKIE_BYTES as sent ("a=1;
 * b=2"), which c->static_cookie_bytes receives. Returns FUTURL_OK,
 * FUTURL_EHEADER or FUTURL_ENOMEM (pairs made so far stay in c, for
 * client_free). */
futurl_status futurl__split_static_cookies(futurl_client *c, const char *cookies);

#endif
