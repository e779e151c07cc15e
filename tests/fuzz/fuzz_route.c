/* fuzz_route.c: the route matcher (fcgi/route_match.c) on request paths,
 * against the patterns of the route table in fcgi/route.c. */
#include "fuzz.h"

#include "route_match.h"
#include "util.h"

/* the patterns of fcgi/route.c, in its order */
static const char *const patterns[] = {
    "/healthz",
    "/metrics",
    "/api/matches/",
    "/api/matches/{id}/",
    "/api/matches/{id}/messages/",
    "/api/titles/",
    "/api/tournaments/",
    "/api/teams/",
    "/api/search/",
    "/",
    "/matches/{id}/",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = fuzz_cstr(data, size);
    size_t plen = strlen(path);
    struct arena a;

    arena_init(&a, 256);
    for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
        const char *arg = NULL, *brace = strstr(patterns[i], "{id}");

        if (!route_match(patterns[i], path, &a, &arg)) {
            FUZZ_CHECK(arg == NULL);
            continue;
        }
        if (brace == NULL) {
            FUZZ_CHECK(arg == NULL && strcmp(path, patterns[i]) == 0);
            continue;
        }
        /* {id}: digits only, and the path is the pattern around them */
        FUZZ_CHECK(arg != NULL && arg[0] != '\0');
        FUZZ_CHECK(strspn(arg, "0123456789") == strlen(arg));
        FUZZ_CHECK(strlen(patterns[i]) - 4 + strlen(arg) == plen);
        FUZZ_CHECK(strncmp(path, patterns[i], (size_t)(brace - patterns[i])) == 0);
    }
    /* a pattern taken from the input too: the matcher's own edge cases */
    {
        const char *nl = size > 0 ? memchr(data, '\n', size) : NULL, *arg = NULL;

        if (nl != NULL) {
            char *pat = fuzz_cstr(data, (size_t)(nl - (const char *)data));
            char *p2 =
                fuzz_cstr((const uint8_t *)nl + 1, size - (size_t)(nl - (const char *)data) - 1);

            if (route_match(pat, p2, &a, &arg) && strstr(pat, "{id}") != NULL) {
                FUZZ_CHECK(arg != NULL && strspn(arg, "0123456789") == strlen(arg));
            }
            free(pat);
            free(p2);
        }
    }
    arena_cleanup(&a);
    free(path);
    return 0;
}
