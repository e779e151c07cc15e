/* route.c: the static route table (path -> handler) and method checks. */
#include <string.h>

#include "handlers.h"
#include "log.h"
#include "route.h"

struct route {
    const char *path;
    int (*handler)(struct req *r);
};

static const struct route routes[] = {
    {"/healthz", h_healthz},
};

void
route_dispatch(struct req *r)
{
    size_t i;

    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *rt = &routes[i];

        if (strcmp(r->path, rt->path) != 0) {
            continue;
        }
        r->route = rt->path;
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
            buf_append_str(&r->headers, "Allow: GET, HEAD\r\n");
            resp_error(r, 405, "Method not allowed.");
            return;
        }
        r->head = strcmp(r->method, "HEAD") == 0;
        rt->handler(r);
        return;
    }
    r->route = "unmatched";
    resp_error(r, 404, "Not found.");
}
