/* fuzz_query.c: a raw QUERY_STRING through what every route does with it
 * (query_parse), then the validators of the list: filters, ordering and
 * pagination (param_match_filter), and the path id validator. */
#include "fuzz.h"

#include "param.h"
#include "rc.h"
#include "text.h"
#include "util.h"

static int
valid_text(const char *s)
{
    return s == NULL || utf8_check(s, strlen(s), NULL) == RC_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *qs = fuzz_cstr(data, size);
    struct query q;
    struct param_errors e;
    struct match_filter f;
    struct arena a;
    uint64_t id;
    int rc;

    arena_init(&a, 4096);
    memset(&e, 0, sizeof(e));
    rc = query_parse(qs, &a, &q, &e);
    FUZZ_CHECK(rc == RC_OK || rc == RC_INVALID);
    FUZZ_CHECK((rc == RC_OK) == (e.n == 0));
    FUZZ_CHECK(q.n <= PARAM_MAX);
    for (size_t i = 0; i < q.n; i++) {
        FUZZ_CHECK(valid_text(q.p[i].key) && valid_text(q.p[i].val));
        FUZZ_CHECK(strlen(q.p[i].val) <= PARAM_VALUE_MAX);
    }
    /* pages validate even a query with errors, to show them in the form */
    param_match_filter(&q, &a, &f, &e);
    FUZZ_CHECK(e.n <= ARRAY_SIZE(e.name));
    for (size_t i = 0; i < e.n; i++) {
        FUZZ_CHECK(e.name[i] != NULL && memchr(e.msg[i], '\0', sizeof(e.msg[i])) != NULL);
    }
    if (e.n == 0) {
        FUZZ_CHECK(f.page >= 1 && f.page_size >= 1 && f.page_size <= PAGE_SIZE_MAX);
        FUZZ_CHECK(f.title_id >= 0 && f.tournament_id >= 0 && f.team_id >= 0);
        FUZZ_CHECK(valid_text(f.title_key) && valid_text(f.tournament_key));
        FUZZ_CHECK(valid_text(f.team_key) && valid_text(f.source));
        FUZZ_CHECK(f.source == NULL || f.source[0] != '\0');
    }
    /* the {id} of a path */
    if (param_id(qs, &id) == RC_OK) {
        FUZZ_CHECK(id >= 1 && id <= INT64_MAX);
    }
    arena_cleanup(&a);
    free(qs);
    return 0;
}
