/*
 * src/handle.h — a worker's libcurl easy handle (src/handle.c): its setup,
 * the executor's worker hooks that make and free it, interrupting its
 * transfer, and what an attempt (src/transfer.c) needs of it. Not
 * installed.
 */
#ifndef FUTURL_SRC_HANDLE_H
#define FUTURL_SRC_HANDLE_H

#include "client_data.h"

/* Interrupt f's transfer if one of c's workers runs it (the executor's
 * cancel hook): shut its sockets down, so libcurl returns at once. */
void futurl__interrupt(void *client, futurl_future *f);

/* Apply the client-wide options to a fresh handle (once per worker, and
 * once at create to check them). w may be NULL: no callbacks then.
 * Returns FUTURL_OK, FUTURL_ENOMEM or FUTURL_ECURL (message in errmsg). */
futurl_status futurl__handle_setup(futurl_client *c, CURL *easy, futurl__worker *w,
                                   char *errmsg, size_t errmsg_size);

/* What libcurl knows of the transfer on easy (now, or once it ended with
 * cc); info->url is borrowed from the handle. */
void futurl__handle_info(CURL *easy, CURLcode cc, futurl__response_info *info);

/* The executor's worker hooks; userdata is the client. */
void *futurl__worker_start(void *client, unsigned index);
void futurl__worker_stop(void *client, void *worker);

/* Record a failed curl_easy_setopt in errmsg (if any) and map it to a
 * status (SETOPT, below, returns it). */
futurl_status futurl__setopt_failed(CURLcode cc, const char *what, char *errmsg,
                                    size_t size);

/* Before a transfer: shut down the handle's idle HTTP/1 connections that
 * have bytes waiting, which answer no request it is about to make. */
void futurl__drop_unclean_connections(futurl__worker *w);

/* After an HTTP/2 transfer: mark its connection's socket (whose idle
 * frames are no reason to drop it). */
void futurl__mark_h2_socket(futurl__worker *w);

/* Name the future whose transfer runs on w (NULL: none), for
 * futurl__interrupt. */
void futurl__set_running(futurl__worker *w, futurl_future *f);

/* Add (present = 1) or remove (0) the client's static cookies as
 * host-only cookies of host_key's host, for the length of one transfer.
 * Returns FUTURL_OK or FUTURL_ENOMEM. */
futurl_status futurl__static_cookies(futurl__worker *w, const char *host_key,
                                     int present);

/* Set an option or return from the calling function with the failure. */
#define SETOPT(easy, opt, value)                                                         \
    do {                                                                                 \
        CURLcode cc_ = curl_easy_setopt((easy), opt, value);                             \
        if (cc_ != CURLE_OK)                                                             \
            return futurl__setopt_failed(cc_, #opt, errmsg, errmsg_size);                \
    } while (0)

#endif
