/*
 * resp.c: writing responses to the FastCGI stream. A response is built
 * completely in memory and written with one FCGX_PutStr, so its status can
 * change until the last moment.
 */
#include <fcgiapp.h>
#include <string.h>

#include "rc.h"
#include "req.h"

const char *
req_param(const struct req *r, const char *name)
{
    return FCGX_GetParam(name, r->envp);
}

static const char *
reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Client Error" : "Internal Server Error";
    }
}

int
resp_send(struct req *r, int status, const char *content_type)
{
    buf_t out;

    if (r->body.err || r->headers.err) {
        status = 500;
        content_type = "application/json";
        buf_reset(&r->body);
        buf_reset(&r->headers);
        buf_append_str(&r->body, "{\"detail\": \"Response too large.\"}");
    }
    r->status = status;
    buf_init(&out, 0);
    buf_appendf(&out, "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", status,
                reason(status), content_type, r->body.len);
    buf_append(&out, r->headers.data ? r->headers.data : "", r->headers.len);
    buf_append(&out, "\r\n", 2);
    if (!r->head && status != 304) {
        buf_append(&out, r->body.data ? r->body.data : "", r->body.len);
    }
    FCGX_PutStr(out.data, (int)out.len, (FCGX_Stream *)r->out);
    buf_cleanup(&out);
    return 0;
}

int
resp_error(struct req *r, int status, const char *detail)
{
    buf_reset(&r->body);
    buf_append_str(&r->body, "{\"detail\": \"");
    buf_append_json_str(&r->body, detail, strlen(detail));
    buf_append_str(&r->body, "\"}");
    return resp_send(r, status, "application/json; charset=utf-8");
}

int
http_status_for(int rc)
{
    switch (rc) {
    case RC_OK:
        return 200;
    case RC_INVALID:
        return 400;
    case RC_NOTFOUND:
        return 404;
    case RC_UNAVAIL:
        return 503;
    default:
        return 500;
    }
}
