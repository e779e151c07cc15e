/* handlers.h: the request handlers, one h_<name>.c file each. */
#ifndef ESPORTS_FCGI_HANDLERS_H
#define ESPORTS_FCGI_HANDLERS_H

#include "req.h"

/* GET /healthz: database, broker and consumer state; 200, or 503 without a database. */
int h_healthz(struct req *r);

#endif
