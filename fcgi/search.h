/*
 * search.h: full-text search through the engine the consumer mirrors the
 * matches into (h_search.c). Off when ELASTICSEARCH_URL is empty.
 */
#ifndef ESPORTS_FCGI_SEARCH_H
#define ESPORTS_FCGI_SEARCH_H

#include <json-c/json.h>
#include <stdint.h>

#include "config.h"
#include "db_matches.h"
#include "param.h"

/* Characters of q at most. */
#define SEARCH_Q_MAX 200

/* One answer: hits (the engine's array of {"_source": document}) borrowed
 * from answer; facets {"title", "tournament", "state"}. */
struct search_result {
    uint64_t count;
    json_object *hits;
    json_object *facets;
    json_object *answer;
};

/* Creates the worker's client when cfg names an engine. */
void search_init(const struct config *cfg);
void search_cleanup(void);
int search_enabled(void);

/* Reads q and the list's filters, ordering and pagination from qs; *ordered
 * tells whether an ordering was given (otherwise: by relevance). Problems
 * go to e (q missing, blank or longer than SEARCH_Q_MAX as given). */
int search_check_params(const struct query *qs, struct arena *a, const char **q,
                        struct match_filter *f, int *ordered, struct param_errors *e);
/* Whether f's page lies beyond the engine's result window (10,000 hits):
 * such a page is past the end of what search can show, a 404. */
int search_past_window(const struct match_filter *f);

/* Runs the search: RC_OK with res filled (search_result_cleanup() it), or
 * RC_UNAVAIL when the engine is off, down or refused the query (logged). */
int search_run(const char *q, const struct match_filter *f, int ordered, struct search_result *res);
void search_result_cleanup(struct search_result *res);

#endif
