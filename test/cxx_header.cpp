// The public header must compile in a C++ translation unit.
#include "futurl.h"

static_assert(FUTURL_OK == 0, "FUTURL_OK is zero");

extern "C++" int futurl_cxx_probe();
int futurl_cxx_probe() {
    futurl_executor_options o;
    futurl_executor_options_init(&o);
    return static_cast<int>(o.workers) + static_cast<int>(FUTURL_ETIMEDOUT);
}
