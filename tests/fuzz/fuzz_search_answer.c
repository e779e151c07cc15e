/* fuzz_search_answer.c: what the search engine answers a _search, as bytes
 * off the wire, through json-c and search_read_answer: whatever it sends
 * (cut short, nested, of the wrong types), the worker reads some hits and
 * facets or refuses the answer, and never reads past what it was given. */
#include <json-c/json.h>

#include "fuzz.h"

#include "rc.h"
#include "search.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_tokener *tok = json_tokener_new();
    json_object *answer;
    struct search_result res;
    struct arena a;
    size_t k, i;
    int rc;

    if (size > INT32_MAX) {
        json_tokener_free(tok);
        return 0;
    }
    answer = json_tokener_parse_ex(tok, (const char *)data, (int)size);
    json_tokener_free(tok);
    if (answer == NULL) {
        return 0;
    }
    arena_init(&a, 4096);
    rc = search_read_answer(answer, &a, &res);
    FUZZ_CHECK(rc == RC_OK || rc == RC_INVALID);
    if (rc == RC_OK) {
        for (i = 0; i < res.n; i++) {
            FUZZ_CHECK(res.ms[i].id >= 1 && res.ms[i].id <= INT64_MAX);
        }
        for (k = 0; k < NFACETS; k++) {
            for (i = 0; i < res.nfacets[k]; i++) {
                FUZZ_CHECK(res.facets[k][i].name == NULL); /* names come from the database */
            }
        }
    }
    json_object_put(answer);
    arena_cleanup(&a);
    return 0;
}
