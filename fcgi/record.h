/*
 * record.h: a whole response as FastCGI records, written in one go.
 * libfcgi's output stream frames what it is given in records of its 8 kB
 * buffer and writes each one as it fills, so a 22 kB page of the list cost
 * three write()s, and nginx a wake-up and a read for each. A response is
 * built completely in memory before it is sent (resp.c), so here it is
 * framed at once: its FCGI_STDOUT records of up to 64 kB, the empty one
 * that ends the stream and FCGI_END_REQUEST, in one writev().
 */
#ifndef ESPORTS_FCGI_RECORD_H
#define ESPORTS_FCGI_RECORD_H

#include <stddef.h>
#include <sys/uio.h>

/* Content bytes per FCGI_STDOUT record: the protocol's 65,535 rounded down
 * to a multiple of 8, so no record needs padding but the last. */
#define RECORD_CONTENT_MAX 65528

/* Writes the bytes of parts[0..nparts), in order, as the FCGI_STDOUT stream
 * of request request_id on fd, then its end and FCGI_END_REQUEST (status
 * 0, request complete). One writev() for a response of up to about 2 MB,
 * more for a larger one; a write cut short goes on where it stopped. 0, or
 * -1 with errno when the connection failed (the peer may have seen part of
 * the response). */
int record_respond(int fd, int request_id, const struct iovec *parts, int nparts);

#endif
