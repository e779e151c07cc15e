/* h_metrics.c: GET /metrics, the Prometheus text of metrics.c. */
#include "db_changes.h"
#include "db_fixtures.h"
#include "db_status.h"
#include "handlers.h"
#include "metrics.h"
#include "rc.h"
#include "route.h"

int
h_metrics(struct req *r)
{
    struct consumer_status cs;
    int have = db_status_get(r->w->db, &cs) == RC_OK;
    uint64_t published, failed, last, oldest, newest, queued;
    double oldest_s;

    metrics_render(r->w->metrics, &r->body, route_names, route_count, have ? &cs : NULL,
                   r->w->cfg->health_stall_s);
    if (have && db_changes_live_status(r->w->db, &published, &failed, &last) == RC_OK &&
        db_changes_bounds(r->w->db, &oldest, &newest) == RC_OK) {
        metrics_render_live(&r->body, published, failed, newest);
    }
    if (have && db_fixtures_link_queue(r->w->db, &queued, &oldest_s) == RC_OK) {
        metrics_render_link_queue(&r->body, queued, oldest_s);
    }
    return RC_OK;
}
