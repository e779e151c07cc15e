/*
 * rc.h: the result codes every fallible function in this project returns.
 * Negative means failure (libuv); test with `rc != RC_OK`, never `!f()`.
 */
#ifndef ESPORTS_RC_H
#define ESPORTS_RC_H

enum rc {
    RC_OK = 0,
    RC_ERR = -1,      /* our bug or an unexpected failure: HTTP 500 */
    RC_INVALID = -2,  /* bad input from outside: HTTP 400, message rejected */
    RC_NOTFOUND = -3, /* no such row: HTTP 404 */
    RC_UNAVAIL = -4,  /* a service (database, broker, search) is down: HTTP 503 */
};

/* A short lower-case name for rc ("ok", "invalid", ...), for logs. */
const char *rc_name(int rc);

#endif
