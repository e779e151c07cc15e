/* route_match.c: a request path against a route pattern; see route_match.h. */
#include <string.h>

#include "route_match.h"

int
route_match(const char *pattern, const char *path, struct arena *a, const char **arg)
{
    const char *brace = strstr(pattern, "{id}");
    size_t pre, post, plen = strlen(path), k;

    if (brace == NULL) {
        return strcmp(pattern, path) == 0;
    }
    pre = (size_t)(brace - pattern);
    post = strlen(brace + 4);
    if (plen <= pre + post || strncmp(path, pattern, pre) != 0 ||
        strcmp(path + plen - post, brace + 4) != 0) {
        return 0;
    }
    for (k = pre; k < plen - post; k++) {
        if (path[k] < '0' || path[k] > '9') {
            return 0;
        }
    }
    *arg = arena_strndup(a, path + pre, plen - post - pre);
    return 1;
}
