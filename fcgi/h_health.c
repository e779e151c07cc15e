/* h_health.c: GET /healthz. */
#include "db_status.h"
#include "handlers.h"
#include "rc.h"
#include "render_json.h"

int
h_healthz(struct req *r)
{
    struct consumer_status cs;
    int db_ok, have_status = 0;

    db_ok = db_ping(r->w->db) == RC_OK;
    if (db_ok) {
        int rc = db_status_get(r->w->db, &cs);

        have_status = rc == RC_OK;
        db_ok = rc != RC_UNAVAIL;
    }
    r->status =
        render_json_health(&r->body, db_ok, have_status ? &cs : NULL, r->w->cfg->health_stall_s);
    return RC_OK;
}
