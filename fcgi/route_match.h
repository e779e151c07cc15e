/* route_match.h: whether a request path matches a route pattern (pure, so
 * that it can be tested and fuzzed without the rest of the dispatcher). */
#ifndef ESPORTS_FCGI_ROUTE_MATCH_H
#define ESPORTS_FCGI_ROUTE_MATCH_H

#include "mem.h"

/* 1 when path matches pattern, else 0. A pattern may hold one {id} segment,
 * which matches one or more digits: *arg then receives them, copied into a
 * (*arg is left alone otherwise). */
int route_match(const char *pattern, const char *path, struct arena *a, const char **arg);

#endif
