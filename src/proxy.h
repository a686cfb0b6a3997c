/*
 * src/proxy.h — the client's proxy options beyond `proxy` itself
 * (src/proxy.c): credentials, the proxy's trust anchors and the no-proxy
 * list, checked at create and applied to each worker's handle. Not
 * installed.
 */
#ifndef FUTURL_SRC_PROXY_H
#define FUTURL_SRC_PROXY_H

#include <curl/curl.h>

#include "futurl.h"

/* Check o's proxy_username, proxy_password, proxy_ca_file and no_proxy:
 * FUTURL_OK or FUTURL_EINVAL (a password without a user name, a string
 * over FUTURL_MAX_OPTION_LENGTH, a control byte in one). */
futurl_status futurl__proxy_options_check(const futurl_client_options *o);

/* Replace *no_proxy (a copy the client owns, may be NULL) with itself
 * joined to the environment's no_proxy (or NO_PROXY), which libcurl
 * stops reading once the option is set. Unchanged when either is empty.
 * Returns FUTURL_OK or FUTURL_ENOMEM. */
futurl_status futurl__no_proxy_merge(const char **no_proxy);

/* Set the options on easy. Returns FUTURL_OK, FUTURL_ENOMEM or
 * FUTURL_ECURL (message in errmsg, if any). */
futurl_status futurl__proxy_setup(CURL *easy, const futurl_client_options *o,
                                  char *errmsg, size_t errmsg_size);

#endif
