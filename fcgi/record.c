/*
 * record.c: a response's FastCGI records, framed around the caller's bytes
 * (never copied) and written with writev(). Records carry no padding: the
 * protocol allows 0 to 255 bytes of it and recommends alignment to 8 only
 * for the receiver's convenience; every full record is 8-aligned anyway.
 */
#include "record.h"

#include <errno.h>
#include <fastcgi.h>
#include <stdint.h>
#include <string.h>

/* iovec entries per writev(): a header and its content take two, or a few
 * more where a record spans the caller's parts. */
#define IOV_BATCH 64

struct writer {
    int fd;
    int n;    /* entries in iov */
    int nhdr; /* headers in hdr (each is pointed to by one entry) */
    struct iovec iov[IOV_BATCH];
    unsigned char hdr[IOV_BATCH][FCGI_HEADER_LEN * 2]; /* END_REQUEST is 16 bytes */
};

static int
flush(struct writer *w)
{
    struct iovec *v = w->iov;
    int n = w->n;

    while (n > 0) {
        ssize_t k = writev(w->fd, v, n);

        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        /* a write cut short (a signal, a send timeout): go on from there */
        while (n > 0 && (size_t)k >= v->iov_len) {
            k -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + k;
            v->iov_len -= (size_t)k;
        }
    }
    w->n = 0;
    w->nhdr = 0;
    return 0;
}

static int
push(struct writer *w, const void *p, size_t len)
{
    if (len == 0) {
        return 0;
    }
    if (w->n == IOV_BATCH && flush(w) != 0) {
        return -1;
    }
    w->iov[w->n].iov_base = (void *)p;
    w->iov[w->n].iov_len = len;
    w->n++;
    return 0;
}

/* A record header of type for request id with len content bytes, kept in the
 * writer until the entry pointing at it is written; body (END_REQUEST's 8
 * bytes) follows it when given. */
static int
push_header(struct writer *w, int type, int id, size_t len, const unsigned char *body)
{
    unsigned char *h;

    /* flushed first when either array is full, so that push() below does
     * not flush and hand h's slot to the next header */
    if ((w->n >= IOV_BATCH || w->nhdr == IOV_BATCH) && flush(w) != 0) {
        return -1;
    }
    h = w->hdr[w->nhdr++];
    h[0] = FCGI_VERSION_1;
    h[1] = (unsigned char)type;
    h[2] = (unsigned char)((id >> 8) & 0xff);
    h[3] = (unsigned char)(id & 0xff);
    h[4] = (unsigned char)((len >> 8) & 0xff);
    h[5] = (unsigned char)(len & 0xff);
    h[6] = 0; /* padding */
    h[7] = 0;
    if (body != NULL) {
        memcpy(h + FCGI_HEADER_LEN, body, FCGI_HEADER_LEN);
    }
    return push(w, h, body != NULL ? 2 * FCGI_HEADER_LEN : FCGI_HEADER_LEN);
}

int
record_respond(int fd, int request_id, const struct iovec *parts, int nparts)
{
    /* FCGI_EndRequestBody: appStatus 0 (4 bytes), protocolStatus, reserved */
    static const unsigned char end_body[FCGI_HEADER_LEN] = {0, 0, 0, 0, FCGI_REQUEST_COMPLETE,
                                                            0, 0, 0};
    struct writer w;
    size_t total = 0, off = 0;
    int i = 0;

    if (fd < 0 || request_id < 0 || request_id > 0xffff || nparts < 0 ||
        (nparts > 0 && parts == NULL)) {
        errno = EINVAL;
        return -1;
    }
    for (int k = 0; k < nparts; k++) {
        if (parts[k].iov_len > SIZE_MAX - total) {
            errno = EOVERFLOW;
            return -1;
        }
        total += parts[k].iov_len;
    }
    w.fd = fd;
    w.n = 0;
    w.nhdr = 0;
    while (total > 0) {
        size_t rec = total < RECORD_CONTENT_MAX ? total : RECORD_CONTENT_MAX;

        if (push_header(&w, FCGI_STDOUT, request_id, rec, NULL) != 0) {
            return -1;
        }
        total -= rec;
        while (rec > 0) {
            size_t take = parts[i].iov_len - off;

            if (take > rec) {
                take = rec;
            }
            if (push(&w, (const char *)parts[i].iov_base + off, take) != 0) {
                return -1;
            }
            off += take;
            rec -= take;
            if (off == parts[i].iov_len) {
                i++;
                off = 0;
            }
        }
    }
    if (push_header(&w, FCGI_STDOUT, request_id, 0, NULL) != 0 ||
        push_header(&w, FCGI_END_REQUEST, request_id, FCGI_HEADER_LEN, end_body) != 0) {
        return -1;
    }
    return flush(&w);
}
