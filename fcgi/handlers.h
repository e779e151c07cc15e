/* handlers.h: the request handlers, one h_<name>.c file each. */
#ifndef ESPORTS_FCGI_HANDLERS_H
#define ESPORTS_FCGI_HANDLERS_H

#include "req.h"

/* GET /healthz: database, broker and consumer state; 200, or 503 without a database. */
int h_healthz(struct req *r);

/* GET /metrics: Prometheus text. */
int h_metrics(struct req *r);

/* The JSON API (h_api.c). */
int h_api_matches(struct req *r);
int h_api_match(struct req *r);
int h_api_match_messages(struct req *r);
int h_api_titles(struct req *r);
int h_api_tournaments(struct req *r);
int h_api_teams(struct req *r);

#endif
