/* h_health.c: GET /healthz. */
#include "db_status.h"
#include "handlers.h"
#include "rc.h"
#include "metrics.h"
#include "render_json.h"
#include "route.h"

int
h_healthz(struct req *r)
{
    struct consumer_status cs;
    int db_ok, have_status = 0, status;

    db_ok = db_ping(r->db) == RC_OK;
    if (db_ok) {
        int rc = db_status_get(r->db, &cs);

        have_status = rc == RC_OK;
        db_ok = rc != RC_UNAVAIL;
    }
    status = render_json_health(&r->body, db_ok, have_status ? &cs : NULL, r->cfg->health_stall_s);
    buf_append_str(&r->headers, "Cache-Control: no-store\r\n");
    return resp_send(r, status, "application/json; charset=utf-8");
}

/* GET /metrics */
int
h_metrics(struct req *r)
{
    struct consumer_status cs;
    int have = db_status_get(r->db, &cs) == RC_OK;

    metrics_render(&r->body, route_names, route_count, have ? &cs : NULL, r->cfg->health_stall_s);
    buf_append_str(&r->headers, "Cache-Control: no-store\r\n");
    return resp_send(r, 200, "text/plain; version=0.0.4; charset=utf-8");
}
