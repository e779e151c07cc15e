/*
 * search.h: full-text search through the engine the consumer mirrors the
 * matches into (search.c): the client, the query it sends and the answer
 * read back as match views. Off when ELASTICSEARCH_URL is empty.
 *
 * The words of q go into a `multi_match` query, which analyses them as text:
 * query-syntax characters are just characters, never syntax. Everything
 * sent is built with json-c.
 */
#ifndef ESPORTS_FCGI_SEARCH_H
#define ESPORTS_FCGI_SEARCH_H

#include <json-c/json.h>
#include <stdint.h>

#include "config.h"
#include "db_matches.h"
#include "mem.h"
#include "param.h"

/* Characters of q at most. */
#define SEARCH_Q_MAX 200
/* The engine refuses from + size beyond its result window (10,000). */
#define SEARCH_WINDOW 10000
/* Facet buckets per field. */
#define FACET_SIZE 20

/* The facets, in this order. */
enum { FACET_TITLE, FACET_TOURNAMENT, FACET_STATE, NFACETS };

/* One bucket: id and name (NULL: none) for a title or tournament, value
 * for a state. */
struct search_facet {
    int64_t id;
    const char *name;
    int64_t value;
    uint64_t count;
};

/* A hit's API document as the mirror rendered it (render_json_match, the
 * document's "view"), or json NULL: none, or one that is not this hit's. */
struct search_view {
    const char *json;
    size_t len;
};

/* One answer, everything from the arena search_run was given. */
struct search_result {
    uint64_t count;
    struct match_view *ms;
    struct search_view *views; /* beside ms; all NULL unless asked for */
    size_t n;
    struct search_facet *facets[NFACETS];
    size_t nfacets[NFACETS];
};

/* A client for the engine cfg names, or NULL when it names none (search is
 * off). One per thread: a client serves one request at a time. */
struct search *search_new(const struct config *cfg);
void search_free(struct search *s);

/* Reads q and the list's filters, ordering and pagination from qs; *ordered
 * tells whether an ordering was given (otherwise: by relevance). Problems
 * go to e (q missing, blank or longer than SEARCH_Q_MAX as given). */
int search_check_params(const struct query *qs, struct arena *a, const char **q,
                        struct match_filter *f, int *ordered, struct param_errors *e);
/* Whether f's page lies beyond the engine's result window (10,000 hits):
 * such a page is past the end of what search can show, a 404. */
int search_past_window(const struct match_filter *f);

/* The _search body for q with the list's filters, ordering and page; fuzzy:
 * the words in one field may have a typo each (fuzziness AUTO); views: ask
 * for each hit's rendered document too. */
json_object *search_body(const char *q, const struct match_filter *f, int ordered, int fuzzy,
                         int views);

/* Reads an answer of the engine into res (from a): RC_OK, or RC_INVALID
 * when it has no hits array. A hit's view is kept only when it can be that
 * match's document: {"id":<the hit's id>,...}, well-formed UTF-8, no
 * control byte. */
int search_read_answer(json_object *answer, struct arena *a, struct search_result *res);

/* The rows of res's hits that came without a view (only their ids are read
 * from the answer) from the database, in the engine's order, so they show
 * exactly like list rows (such a hit whose row is gone is left out), and
 * the names of its title and tournament facets (the engine gives only their
 * ids; s keeps those it read for the data version `version`, 0: unknown,
 * keep none): RC_OK, or the database's RC_UNAVAIL / RC_ERR. */
int search_load_matches(struct search *s, struct db *db, uint64_t version, struct arena *a,
                        struct search_result *res);

/* Runs the search: RC_OK with res filled from a (the hits' ids, and with
 * views their documents as the mirror rendered them; the other rows come
 * from search_load_matches), or RC_UNAVAIL when the engine is off (s NULL),
 * down or refused the query (logged). */
int search_run(struct search *s, const char *q, const struct match_filter *f, int ordered,
               int views, struct arena *a, struct search_result *res);

#endif
