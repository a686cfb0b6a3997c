/*
 * src/error.c — status codes as text: futurl_strerror(), futurl_err_name()
 * and the version string. Both tables come from FUTURL_STATUS_MAP, so a new
 * code needs one line in include/futurl.h and nothing here.
 */
#include "futurl.h"

const char *futurl_strerror(futurl_status s) {
    switch (s) {
#define FUTURL__MSG(name, value, msg)                                                    \
    case FUTURL_##name:                                                                  \
        return msg;
        FUTURL_STATUS_MAP(FUTURL__MSG)
#undef FUTURL__MSG
    }
    return "unknown status";
}

const char *futurl_err_name(futurl_status s) {
    switch (s) {
#define FUTURL__NAME(name, value, msg)                                                   \
    case FUTURL_##name:                                                                  \
        return "FUTURL_" #name;
        FUTURL_STATUS_MAP(FUTURL__NAME)
#undef FUTURL__NAME
    }
    return "FUTURL_UNKNOWN";
}

const char *futurl_version(void) {
    return FUTURL_VERSION_STRING;
}
