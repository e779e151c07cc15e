/* param.c: query-string parsing and the validators of the API's parameters. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db_changes.h"
#include "param.h"
#include "rc.h"
#include "text.h"
#include "url.h"

void
param_error(struct param_errors *e, const char *name, const char *fmt, ...)
{
    va_list ap;
    size_t i;

    for (i = 0; i < e->n; i++) {
        if (strcmp(e->name[i], name) == 0) {
            return; /* the first problem of a parameter is enough */
        }
    }
    if (e->n == sizeof(e->name) / sizeof(e->name[0])) {
        return;
    }
    e->name[e->n] = name;
    va_start(ap, fmt);
    vsnprintf(e->msg[e->n], sizeof(e->msg[0]), fmt, ap);
    va_end(ap);
    e->n++;
}

/* Decodes s[0..n) into a NUL-terminated copy; NULL on a bad escape or NUL. */
static char *
decode(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);

    return url_unescape(s, n, 1, d) == RC_OK ? d : NULL;
}

int
query_parse(const char *qs, struct arena *a, struct query *q, struct param_errors *e)
{
    const char *p = qs;
    size_t before = e->n;

    q->n = 0;
    while (*p != '\0') {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char *key, *val;
        size_t i;

        if (len == 0) {
            p++;
            continue;
        }
        key = decode(a, p, klen);
        val = eq ? decode(a, eq + 1, len - klen - 1) : arena_strndup(a, "", 0);
        if (key == NULL || utf8_check(key, strlen(key), NULL) != RC_OK) {
            param_error(e, "query", "a parameter name is not valid percent-encoded UTF-8");
        } else if (val == NULL) {
            param_error(e, key, "invalid percent-encoding");
        } else if (utf8_check(val, strlen(val), NULL) != RC_OK) {
            param_error(e, key, "not valid UTF-8");
        } else if (strlen(val) > PARAM_VALUE_MAX) {
            param_error(e, key, "longer than %d bytes", PARAM_VALUE_MAX);
        } else {
            for (i = 0; i < q->n && strcmp(q->p[i].key, key) != 0; i++) {
            }
            if (i < q->n) {
                q->p[i].repeated = 1;
            } else if (q->n == PARAM_MAX) {
                param_error(e, "query", "more than %d parameters", PARAM_MAX);
            } else {
                q->p[q->n].key = key;
                q->p[q->n].val = val;
                q->p[q->n].repeated = 0;
                q->n++;
            }
        }
        p += len;
        if (*p == '&') {
            p++;
        }
    }
    return e->n == before ? RC_OK : RC_INVALID;
}

const char *
query_get(const struct query *q, const char *key, struct param_errors *e)
{
    size_t i;

    for (i = 0; i < q->n; i++) {
        if (strcmp(q->p[i].key, key) == 0) {
            if (q->p[i].repeated) {
                param_error(e, key, "given more than once");
                return NULL;
            }
            return q->p[i].val;
        }
    }
    return NULL;
}

/* A decimal integer within [lo, hi]; RC_OK or RC_INVALID. */
static int
parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    if (s[0] == '\0' || (s[0] != '-' && (s[0] < '0' || s[0] > '9'))) {
        return RC_INVALID;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || errno != 0 || v < lo || v > hi) {
        return RC_INVALID;
    }
    *out = v;
    return RC_OK;
}

int
param_id(const char *s, uint64_t *id)
{
    int64_t v;

    if (parse_int(s, 1, INT64_MAX, &v) != RC_OK) {
        return RC_INVALID;
    }
    *id = (uint64_t)v;
    return RC_OK;
}

/* The value of key when given and not empty. An empty value (what an empty
 * form field sends: "title=&state=") means the parameter is absent, as
 * django-filter reads it. */
static const char *
given(const struct query *q, const char *key, struct param_errors *e)
{
    const char *v = query_get(q, key, e);

    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A filter by name (title, tournament, team), always a name, digits or not:
 * matched by its key (keyfn), so case and runs of white space do not count;
 * only white space is no filter. At most MATCH_NAME_MAX characters as given. */
static void
name_param(const struct query *q, struct arena *a, const char *name, const char **key,
           char *(*keyfn)(struct arena *, const char *, size_t), struct param_errors *e)
{
    const char *v = given(q, name, e);
    const char *k;

    if (v == NULL) {
        return;
    }
    if (utf8_len(v, strlen(v)) > MATCH_NAME_MAX) {
        param_error(e, name, "longer than %d characters", MATCH_NAME_MAX);
        return;
    }
    k = keyfn(a, v, strlen(v));
    if (k[0] != '\0') {
        *key = k;
    }
}

/* A filter by id (title_id, tournament_id, team_id). */
static void
id_param(const struct query *q, const char *name, int64_t *id, struct param_errors *e)
{
    const char *v = given(q, name, e);

    if (v != NULL && parse_int(v, 1, INT64_MAX, id) != RC_OK) {
        param_error(e, name, "must be a whole number from 1 to %lld", (long long)INT64_MAX);
    }
}

void
param_changes(const struct query *q, int64_t *after, int64_t *limit, struct param_errors *e)
{
    const char *v = given(q, "after", e);

    *after = 0;
    *limit = CHANGES_LIMIT_DEFAULT;
    if (v != NULL && parse_int(v, 0, INT64_MAX, after) != RC_OK) {
        param_error(e, "after", "must be a whole number from 0 to %lld", (long long)INT64_MAX);
    }
    v = given(q, "limit", e);
    if (v != NULL && parse_int(v, 1, CHANGES_LIMIT_MAX, limit) != RC_OK) {
        param_error(e, "limit", "must be a whole number from 1 to %d", CHANGES_LIMIT_MAX);
    }
}

static void
date_bound(const struct query *q, const char *name, int upper, int *has, int64_t *out,
           struct param_errors *e)
{
    const char *v = given(q, name, e);
    int date_only = 0;

    if (v == NULL) {
        return;
    }
    if (strlen(v) > PARAM_DATE_MAX || dt_parse(v, strlen(v), 0, 1, out, &date_only) != RC_OK) {
        param_error(e, name,
                    "not a date: use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 "
                    "(2020-01-07T14:30:00Z)");
        return;
    }
    if (upper && date_only) {
        *out += 86399; /* a bare date includes its whole day */
    }
    *has = 1;
}

/* source: a source's name as the messages give it (cleaned like them); only
 * white space is no filter. */
static void
source_param(const struct query *q, struct arena *a, const char **source, struct param_errors *e)
{
    const char *v = given(q, "source", e);
    const char *s;

    if (v == NULL) {
        return;
    }
    if (utf8_len(v, strlen(v)) > MATCH_ID_MAX) {
        param_error(e, "source", "longer than %d characters", MATCH_ID_MAX);
        return;
    }
    s = text_clean(a, v, strlen(v));
    if (s[0] != '\0') {
        *source = s;
    }
}

void
param_pagination(const struct query *q, int64_t *page, int64_t *page_size, struct param_errors *e)
{
    const char *v;

    *page = 1;
    *page_size = PAGE_SIZE_DEFAULT;
    if ((v = given(q, "page", e)) != NULL) {
        size_t n = strspn(v, "0123456789");

        if (v[n] != '\0' || strspn(v, "0") == n) {
            param_error(e, "page", "must be a whole number from 1");
        } else if (parse_int(v, 1, PAGE_BEYOND, page) != RC_OK) {
            *page = PAGE_BEYOND; /* any larger page is past the end too: 404 */
        }
    }
    if ((v = given(q, "page_size", e)) != NULL &&
        parse_int(v, 1, PAGE_SIZE_MAX, page_size) != RC_OK) {
        param_error(e, "page_size", "must be a whole number from 1 to %d", PAGE_SIZE_MAX);
    }
}

void
param_match_filter(const struct query *q, struct arena *a, struct match_filter *f,
                   struct param_errors *e)
{
    static const struct {
        const char *name;
        enum match_order order;
    } orderings[] = {{"-date_start", ORDER_DATE_DESC},
                     {"date_start", ORDER_DATE_ASC},
                     {"id", ORDER_ID_ASC},
                     {"-id", ORDER_ID_DESC}};
    const char *v;
    size_t i;

    memset(f, 0, sizeof(*f));
    name_param(q, a, "title", &f->title_key, text_title_key, e);
    name_param(q, a, "tournament", &f->tournament_key, text_key, e);
    name_param(q, a, "team", &f->team_key, text_key, e);
    id_param(q, "title_id", &f->title_id, e);
    id_param(q, "tournament_id", &f->tournament_id, e);
    id_param(q, "team_id", &f->team_id, e);
    if ((v = given(q, "state", e)) != NULL) {
        if (parse_int(v, INT32_MIN, INT32_MAX, &f->state) != RC_OK) {
            param_error(e, "state", "must be a whole number");
        } else {
            f->has_state = 1;
        }
    }
    date_bound(q, "date_start__gte", 0, &f->has_gte, &f->gte, e);
    date_bound(q, "date_start__lte", 1, &f->has_lte, &f->lte, e);
    source_param(q, a, &f->source, e);
    f->order = ORDER_DATE_DESC;
    if ((v = given(q, "ordering", e)) != NULL) {
        f->has_order = 1;
        for (i = 0; i < sizeof(orderings) / sizeof(orderings[0]); i++) {
            if (strcmp(v, orderings[i].name) == 0) {
                f->order = orderings[i].order;
                break;
            }
        }
        if (i == sizeof(orderings) / sizeof(orderings[0])) {
            param_error(e, "ordering", "one of date_start, -date_start, id, -id");
        }
    }
    param_pagination(q, &f->page, &f->page_size, e);
}

void
param_team_filter(const struct query *q, struct arena *a, const char **source, int64_t *page,
                  int64_t *page_size, struct param_errors *e)
{
    *source = NULL;
    source_param(q, a, source, e);
    param_pagination(q, page, page_size, e);
}

void
param_link_status(const struct query *q, const char **status, uint64_t *match, int64_t *page,
                  int64_t *page_size, struct param_errors *e)
{
    static const char *const statuses[] = {"suggested", "confirmed", "rejected"};
    const char *v = given(q, "status", e);
    int64_t m = 0;
    size_t i;

    id_param(q, "match", &m, e);
    *match = (uint64_t)m;
    *status = statuses[0];
    if (v != NULL) {
        for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
            if (strcmp(v, statuses[i]) == 0) {
                *status = statuses[i];
                break;
            }
        }
        if (i == sizeof(statuses) / sizeof(statuses[0])) {
            param_error(e, "status", "one of suggested, confirmed, rejected");
        }
    }
    param_pagination(q, page, page_size, e);
}

int
param_list_view(const struct query *q, struct param_errors *e)
{
    const char *v = given(q, "view", e);

    if (v == NULL || strcmp(v, "matches") == 0) {
        return 0;
    }
    if (strcmp(v, "fixtures") == 0) {
        return 1;
    }
    param_error(e, "view", "one of matches, fixtures");
    return 0;
}
