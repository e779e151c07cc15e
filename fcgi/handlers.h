/*
 * handlers.h: the request handlers, one h_<name>.c file each. A handler
 * reads the request, asks the database or the search engine, renders the
 * body and returns its result (req.h); it never writes a status line.
 */
#ifndef ESPORTS_FCGI_HANDLERS_H
#define ESPORTS_FCGI_HANDLERS_H

#include "req.h"

/* GET /healthz: database, broker and consumer state; 200, or 503 without a
 * database (r->status). */
int h_healthz(struct req *r);

/* GET /metrics: Prometheus text (h_metrics.c). */
int h_metrics(struct req *r);

/* The JSON API (h_api.c). */
int h_api_matches(struct req *r);
int h_api_match(struct req *r);
int h_api_match_messages(struct req *r);
int h_api_titles(struct req *r);
int h_api_tournaments(struct req *r);
int h_api_teams(struct req *r);
int h_api_team(struct req *r);
int h_api_fixtures(struct req *r);
int h_api_fixture(struct req *r);
int h_api_links(struct req *r);

/* GET /api/search/: full-text search with facets (h_search.c). */
int h_api_search(struct req *r);

/* GET /api/changes/: the change feed (h_changes.c). */
int h_api_changes(struct req *r);

/* The website (h_pages.c). */
int h_page_list(struct req *r);
int h_page_match(struct req *r);
int h_page_team(struct req *r);

#endif
