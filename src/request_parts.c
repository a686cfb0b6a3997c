/*
 * src/request_parts.c — the request builder's multipart calls
 * (futurl_request_add_part*): they check that the request may take parts
 * (not yet submitted, no other kind of body) and hand the part to its
 * list (src/multipart.c), which owns the description and the curl_mime
 * built from it.
 */
#include "multipart.h"
#include "request.h"

#include <string.h>

/* Parts exclude set_body/set_json/add_form (each refuses them in turn). */
static int takes_parts(const futurl_request *r) {
    return r != NULL &&
           (r->body_kind == FUTURL__BODY_NONE || r->body_kind == FUTURL__BODY_MULTIPART);
}

static futurl_status added(futurl_request *r, futurl_status st) {
    if (st == FUTURL_OK)
        r->body_kind = FUTURL__BODY_MULTIPART;
    return st;
}

futurl_status futurl_request_add_part(futurl_request *r, const char *name,
                                      const char *value) {
    if (!takes_parts(r) || value == NULL)
        return FUTURL_EINVAL;
    return added(
        r, futurl__parts_add_bytes(&r->parts, name, value, strlen(value), NULL, NULL));
}

futurl_status futurl_request_add_part_data(futurl_request *r, const char *name,
                                           const void *data, size_t len,
                                           const char *filename,
                                           const char *content_type) {
    if (!takes_parts(r))
        return FUTURL_EINVAL;
    return added(
        r, futurl__parts_add_bytes(&r->parts, name, data, len, filename, content_type));
}

futurl_status futurl_request_add_part_file(futurl_request *r, const char *name,
                                           const char *path, const char *filename,
                                           const char *content_type) {
    if (!takes_parts(r))
        return FUTURL_EINVAL;
    return added(r,
                 futurl__parts_add_file(&r->parts, name, path, filename, content_type));
}

futurl_status futurl_request_add_part_stream(futurl_request *r, const char *name,
                                             futurl_read_fn read, int64_t size,
                                             futurl_rewind_fn rewind, void *userdata,
                                             const char *filename,
                                             const char *content_type) {
    if (!takes_parts(r))
        return FUTURL_EINVAL;
    return added(r, futurl__parts_add_stream(&r->parts, name, read, size, rewind,
                                             userdata, filename, content_type));
}
