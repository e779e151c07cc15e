/*
 * param.h: query strings and their validators. A query is parsed once into
 * decoded key/value pairs; each route then reads only the parameters it
 * declares, through validators that name the parameter in their error.
 */
#ifndef ESPORTS_FCGI_PARAM_H
#define ESPORTS_FCGI_PARAM_H

#include <stdint.h>

#include "buf.h"
#include "db_matches.h"
#include "mem.h"

#define PARAM_MAX         64   /* parameters in one query */
#define PARAM_VALUE_MAX   1024 /* bytes of one decoded value */
#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX     500
/* Pages from here on are past the end of any list (a 404, like any page
 * past the end); larger numbers are read as this one. */
#define PAGE_BEYOND 1000000000000LL
/* Characters of a date parameter at most (the longest ISO 8601 form with
 * nanoseconds and an offset is 35). */
#define PARAM_DATE_MAX 40

struct param {
    const char *key;
    const char *val;
    int repeated;
};

/* What was wrong, parameter by parameter (the 400 body's "errors"). */
struct param_errors {
    size_t n;
    const char *name[16];
    char msg[16][160];
};

struct query {
    struct param p[PARAM_MAX];
    size_t n;
};

/* Parses and percent-decodes qs ('+' is a space) into q, values in a.
 * Problems (bad escapes, invalid UTF-8, over-long values, too many
 * parameters) are added to e; returns RC_OK or RC_INVALID. */
int query_parse(const char *qs, struct arena *a, struct query *q, struct param_errors *e);

/* The value of key, or NULL. A repeated key is an error, added to e. */
const char *query_get(const struct query *q, const char *key, struct param_errors *e);

void param_error(struct param_errors *e, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the list filters, ordering and pagination of /api/matches/ from q
 * into f; problems go to e. A parameter given empty is taken as absent;
 * title, tournament and team are names (whatever their first character),
 * title_id, tournament_id and team_id ids. */
void param_match_filter(const struct query *q, struct arena *a, struct match_filter *f,
                        struct param_errors *e);
/* page and page_size only. */
void param_pagination(const struct query *q, int64_t *page, int64_t *page_size,
                      struct param_errors *e);
/* /api/teams/: source (a source's name) and pagination; *source NULL when
 * not given. */
void param_team_filter(const struct query *q, struct arena *a, const char **source, int64_t *page,
                       int64_t *page_size, struct param_errors *e);
/* /api/links/: status (suggested, the default; confirmed; rejected), a static
 * string; match, one match's pairs only (0 when not given); and pagination. */
void param_link_status(const struct query *q, const char **status, uint64_t *match, int64_t *page,
                       int64_t *page_size, struct param_errors *e);
/* The list page's view: 0 per-source matches (view=matches, the default),
 * 1 fixtures (view=fixtures); anything else is an error in e. */
int param_list_view(const struct query *q, struct param_errors *e);

/* The change feed's cursor and page: after (0 to 2^63-1, default 0: from the
 * oldest kept) and limit (1 to CHANGES_LIMIT_MAX, default
 * CHANGES_LIMIT_DEFAULT). */
#define CHANGES_LIMIT_DEFAULT 100
void param_changes(const struct query *q, int64_t *after, int64_t *limit, struct param_errors *e);

/* A path id ("42"): RC_OK with *id, or RC_INVALID. */
int param_id(const char *s, uint64_t *id);

#endif
