/* rc.c: names of the result codes, for log lines. */
#include "rc.h"

const char *
rc_name(int rc)
{
    switch (rc) {
    case RC_OK:
        return "ok";
    case RC_INVALID:
        return "invalid";
    case RC_NOTFOUND:
        return "notfound";
    case RC_UNAVAIL:
        return "unavailable";
    default:
        return "error";
    }
}
