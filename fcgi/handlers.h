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

/* GET /api/search/: full-text search with facets (h_search.c). */
int h_api_search(struct req *r);

/* The website (pages.c). pages_init parses the templates of dir once; on a
 * missing or broken one it returns an error with err naming the file (and
 * line). */
int pages_init(const char *dir, char *err, size_t errlen);
void pages_cleanup(void);
int h_page_list(struct req *r);
int h_page_match(struct req *r);
/* An HTML error page (400, 404, 405, 500, 503) from the site's layout. */
int page_error(struct req *r, int status, const char *message);
/* Whether ingestion is stalled (the pages' banner; judged at most once a
 * second per worker). */
int pages_ingest_stalled(struct req *r);

#endif
