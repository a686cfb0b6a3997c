/*
 * src/multipart.h — multipart/form-data parts (src/multipart.c): the
 * description a request keeps (copied when added, read-only after submit)
 * and the curl_mime built from it for each attempt on a worker's handle,
 * since a curl_mime belongs to one easy handle and is consumed by the
 * transfer. Not installed.
 */
#ifndef FUTURL_SRC_MULTIPART_H
#define FUTURL_SRC_MULTIPART_H

#include <curl/curl.h>

#include "futurl.h"

typedef struct futurl__parts futurl__parts;

/* One attempt's mime: built by futurl__mime_build, freed (after the handle
 * lets go of it) by futurl__mime_free. Touched only by the worker running
 * the attempt. */
typedef struct futurl__mime futurl__mime;

/* Append a part to *ps (made on first use), its arguments checked and
 * copied as futurl_request_add_part_data(), _add_part_file() and
 * _add_part_stream() document (an in-memory part with neither file name
 * nor content type is a plain field). Return what those return. */
futurl_status futurl__parts_add_bytes(futurl__parts **ps, const char *name,
                                      const void *data, size_t len, const char *filename,
                                      const char *content_type);
futurl_status futurl__parts_add_file(futurl__parts **ps, const char *name,
                                     const char *path, const char *filename,
                                     const char *content_type);
futurl_status futurl__parts_add_stream(futurl__parts **ps, const char *name,
                                       futurl_read_fn read, int64_t size,
                                       futurl_rewind_fn rewind, void *userdata,
                                       const char *filename, const char *content_type);

/* Free a request's part list (NULL allowed). */
void futurl__parts_free(futurl__parts *p);

/* Build the mime for one attempt of the parts on easy, rewinding streamed
 * parts a previous attempt read (their rewind callback). Returns FUTURL_OK
 * with *out set, FUTURL_ENOMEM, FUTURL_ECURL or FUTURL_EABORTED (a rewind
 * failed), with a message in errmsg. */
futurl_status futurl__mime_build(futurl__parts *p, CURL *easy, futurl__mime **out,
                                 char *errmsg, size_t errmsg_size);

/* The curl_mime to hand to CURLOPT_MIMEPOST. */
curl_mime *futurl__mime_handle(futurl__mime *m);

/* The name of the streamed part whose read callback aborted this attempt,
 * or NULL. */
const char *futurl__mime_aborted(const futurl__mime *m);

/* Free m once the handle no longer names it (NULL allowed). */
void futurl__mime_free(futurl__mime *m);

/* The name of a streamed part without a rewind callback that an attempt
 * has read from (so a retry cannot send it again), or NULL. */
const char *futurl__parts_unrewindable(const futurl__parts *p);

#endif
