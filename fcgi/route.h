/* route.h: the route table and the dispatcher. */
#ifndef ESPORTS_FCGI_ROUTE_H
#define ESPORTS_FCGI_ROUTE_H

#include <stddef.h>

#include "req.h"

/* Finds the route for r->path, checks the method (405 with Allow otherwise)
 * and runs its handler; unknown paths get a JSON 404 or the site's. */
void route_dispatch(struct req *r);

/* The routes' names for metrics, the last one "unmatched". */
extern const char *const route_names[];
extern const size_t route_count;

#endif
