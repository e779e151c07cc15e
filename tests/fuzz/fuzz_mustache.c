/* fuzz_mustache.c: the template parser and renderer. The input is one or
 * more templates separated by lines "%%"; each starts with a line naming it
 * (as partials and parents refer to it). Every template that parsed is then
 * rendered from a small fixed context shaped like the site's pages. */
#include "fuzz.h"

#include <json-c/json.h>

#include "buf.h"
#include "mustache.h"
#include "rc.h"

#define MAX_PARTS  8
#define MAX_NAME   64
#define MAX_OUTPUT (1u << 20)

static const char context_json[] =
    "{\"heading\": \"Matches\", \"q\": \"bayes <b>\", \"count\": 2, \"one\": false,"
    " \"filtered\": true, \"invalid\": false, \"has_matches\": true, \"search_on\": true,"
    " \"has_facets\": true, \"facets\": [{\"href\": \"/?title=1\", \"name\": \"Over&cooked\","
    " \"count\": 2}],"
    " \"matches\": [{\"id\": 1, \"href\": \"/matches/1/\", \"date_start\": \"2020-01-07 14:30\","
    "  \"date_start_iso\": \"2020-01-07T14:30:00Z\", \"title\": \"Overcooked\","
    "  \"tournament\": \"Overbayes Season 1\", \"state_class\": \"finished\","
    "  \"state_label\": \"Finished\", \"teams\": [{\"name\": \"Bayes Esports Team 1\","
    "  \"has_score\": true, \"score\": 2, \"winner\": true}, {\"name\": \"<script>\","
    "  \"has_score\": true, \"score\": 0, \"loser\": true, \"last\": true}]},"
    "  {\"id\": 2, \"href\": \"/matches/2/\", \"title\": \"T\", \"teams\": []}],"
    " \"pager\": {\"several\": true, \"page\": 1, \"pages\": 2, \"next\": \"/?page=2\","
    "  \"last\": \"/?page=2\"},"
    " \"form\": {\"errors\": [{\"field\": \"state\", \"label\": \"State\","
    "  \"message\": \"must be a whole number\"}], \"q\": {\"label\": \"Search\", \"value\": \"x\"},"
    "  \"selects\": [{\"name\": \"title\", \"label\": \"Title\", \"any\": \"Any\","
    "  \"options\": [{\"value\": 1, \"label\": \"Overcooked\", \"selected\": true},"
    "  {\"value\": 2, \"label\": \"'quoted'\"}]}],"
    "  \"date_from\": {\"name\": \"date_start__gte\", \"label\": \"From\", \"value\": "
    "\"2020-01-07\","
    "  \"error\": \"not a date\"}},"
    " \"messages\": [{\"received_at\": \"2020-01-07 14:30:01\", \"status\": \"applied\","
    "  \"payload\": \"{\\\"source\\\": \\\"source1\\\"}\"}], \"message_count\": 1,"
    " \"l\": [1, 2], \"s\": \"a&b<c>\\\"'\", \"nl\": \"1\\n2\", \"n\": null, \"t\": true,"
    " \"f\": false, \"d\": 1.21, \"i\": -3, \"big\": 18446744073709551615, \"e\": [],"
    " \"o\": {\"a\": {\"b\": {\"c\": \"deep\"}}}}";

static struct json_object *context;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    context = json_tokener_parse(context_json);
    FUZZ_CHECK(context != NULL);
    return 0;
}

/* Splits off the next part of in[*pos..n): its name (the first line, cut at
 * a NUL; "t" when that is empty or the part has one line only) and its
 * source. 0 when the input is used up. */
static int
next_part(const char *in, size_t n, size_t *pos, char *name, const char **src, size_t *len)
{
    static const char sep[] = "\n%%\n";
    const size_t slen = sizeof(sep) - 1;
    size_t start = *pos, end = start, k;
    const char *nl;

    if (start > n || (start == n && n > 0)) {
        return 0;
    }
    while (end + slen <= n && memcmp(in + end, sep, slen) != 0) {
        end++;
    }
    if (end + slen > n) {
        end = n;
    }
    *pos = end == n ? n + 1 : end + slen;
    nl = end > start ? memchr(in + start, '\n', end - start) : NULL;
    if (nl == NULL) {
        snprintf(name, MAX_NAME + 1, "t");
        *src = in + start;
        *len = end - start;
        return 1;
    }
    k = (size_t)(nl - (in + start));
    snprintf(name, MAX_NAME + 1, "%.*s", (int)(k < MAX_NAME ? k : MAX_NAME), in + start);
    if (name[0] == '\0') {
        snprintf(name, MAX_NAME + 1, "t");
    }
    *src = nl + 1;
    *len = (size_t)(in + end - (nl + 1));
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mustache_set *s = mustache_set_new();
    char names[MAX_PARTS][MAX_NAME + 1], err[96];
    size_t pos = 0, nparts = 0, len;
    const char *src;
    buf_t out;

    while (nparts < MAX_PARTS &&
           next_part((const char *)data, size, &pos, names[nparts], &src, &len)) {
        int rc;

        err[0] = '\0';
        rc = mustache_set_add(s, names[nparts], src, len, err, sizeof(err));
        FUZZ_CHECK(rc == RC_OK || rc == RC_INVALID);
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        if (rc == RC_OK) {
            FUZZ_CHECK(mustache_set_has(s, names[nparts]));
            nparts++;
        } else {
            FUZZ_CHECK(err[0] != '\0');
        }
    }
    (void)mustache_set_check(s, err, sizeof(err));
    buf_init(&out, MAX_OUTPUT);
    for (size_t i = 0; i < nparts; i++) {
        int rc = mustache_render(s, names[i], context, &out);

        FUZZ_CHECK(rc == RC_OK || rc == RC_ERR);
        FUZZ_CHECK(rc == RC_ERR || !out.err);
        FUZZ_CHECK(out.len <= MAX_OUTPUT);
        buf_reset(&out);
        /* no context at all renders too */
        rc = mustache_render(s, names[i], NULL, &out);
        FUZZ_CHECK(rc == RC_OK || rc == RC_ERR);
        buf_reset(&out);
    }
    buf_cleanup(&out);
    mustache_set_free(s);
    return 0;
}
