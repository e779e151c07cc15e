/* test_record.c: fcgi/record.c (included) frames a response as FastCGI
 * records. writev() is replaced by one that appends to memory, so a test can
 * count the calls, cut writes short, and fail them. */
#include "testutil.h"

#include <errno.h>
#include <fastcgi.h>
#include <sys/uio.h>

static ssize_t fake_writev(int fd, const struct iovec *iov, int n);
#define writev fake_writev
#include "../../fcgi/record.c"
#undef writev

static struct {
    unsigned char *data;
    size_t len, cap;
    int calls;
    size_t limit;   /* at most this many bytes a call (0: all) */
    int fail_errno; /* fail every call with it (0: never) */
    int eintr;      /* fail this many calls with EINTR first */
} out;

static ssize_t
fake_writev(int fd, const struct iovec *iov, int n)
{
    size_t room, done = 0;

    assert_int_equal(fd, 7);
    assert_true(n > 0 && n <= IOV_BATCH);
    out.calls++;
    if (out.eintr > 0) {
        out.eintr--;
        errno = EINTR;
        return -1;
    }
    if (out.fail_errno) {
        errno = out.fail_errno;
        return -1;
    }
    room = out.limit ? out.limit : SIZE_MAX;
    for (int i = 0; i < n && done < room; i++) {
        size_t k = iov[i].iov_len < room - done ? iov[i].iov_len : room - done;

        if (out.len + k > out.cap) {
            out.cap = (out.len + k) * 2;
            out.data = xrealloc(out.data, out.cap);
        }
        memcpy(out.data + out.len, iov[i].iov_base, k);
        out.len += k;
        done += k;
    }
    return (ssize_t)done;
}

static int
reset(void **state)
{
    (void)state;
    free(out.data);
    memset(&out, 0, sizeof(out));
    return 0;
}

/* Parses what was written: every record's header checked, the STDOUT
 * content gathered into *content (malloc'd), the END_REQUEST last. Returns
 * the number of STDOUT records with content. */
static int
parse(int id, unsigned char **content, size_t *clen)
{
    size_t at = 0;
    int records = 0, ended_stdout = 0;

    *content = xmalloc(out.len + 1);
    *clen = 0;
    for (;;) {
        const unsigned char *h = out.data + at;
        size_t len;

        assert_true(at + FCGI_HEADER_LEN <= out.len);
        assert_int_equal(h[0], FCGI_VERSION_1);
        assert_int_equal((h[2] << 8) | h[3], id);
        len = ((size_t)h[4] << 8) | h[5];
        assert_true(at + FCGI_HEADER_LEN + len + h[6] <= out.len);
        if (h[1] == FCGI_END_REQUEST) {
            assert_true(ended_stdout);
            assert_int_equal(len, 8);
            /* app status 0, request complete */
            assert_memory_equal(h + 8, "\0\0\0\0\0", 5);
            assert_int_equal(h[12], FCGI_REQUEST_COMPLETE);
            assert_int_equal(at + 16, out.len); /* the last bytes written */
            return records;
        }
        assert_int_equal(h[1], FCGI_STDOUT);
        assert_false(ended_stdout);
        if (len == 0) {
            ended_stdout = 1;
        } else {
            assert_true(len <= RECORD_CONTENT_MAX);
            memcpy(*content + *clen, h + FCGI_HEADER_LEN, len);
            *clen += len;
            records++;
        }
        at += FCGI_HEADER_LEN + len + h[6];
    }
}

static void
check(int id, const struct iovec *parts, int nparts, int expect_records)
{
    unsigned char *content, *want;
    size_t clen, wlen = 0;

    for (int i = 0; i < nparts; i++) {
        wlen += parts[i].iov_len;
    }
    want = xmalloc(wlen + 1);
    wlen = 0;
    for (int i = 0; i < nparts; i++) {
        if (parts[i].iov_len > 0) { /* an empty part may have no base at all */
            memcpy(want + wlen, parts[i].iov_base, parts[i].iov_len);
            wlen += parts[i].iov_len;
        }
    }
    assert_int_equal(parse(id, &content, &clen), expect_records);
    assert_int_equal(clen, wlen);
    assert_memory_equal(content, want, wlen);
    free(content);
    free(want);
}

/* A page's head, headers, blank line and body: one record, one call. */
static void
test_small_response_is_one_write(void **state)
{
    struct iovec parts[] = {
        {"Status: 200 OK\r\n", 16}, {"ETag: \"1\"\r\n", 11}, {"\r\n", 2}, {"{\"count\": 0}", 12}};

    (void)state;
    assert_int_equal(record_respond(7, 1, parts, 4), 0);
    assert_int_equal(out.calls, 1);
    check(1, parts, 4, 1);
}

/* Empty parts are no records; nothing at all is the stream's end alone. */
static void
test_empty_parts_and_no_content(void **state)
{
    struct iovec parts[] = {{"", 0}, {"ab", 2}, {NULL, 0}};

    (void)state;
    assert_int_equal(record_respond(7, 0xffff, parts, 3), 0);
    check(0xffff, parts, 3, 1);
    reset(state);
    assert_int_equal(record_respond(7, 9, NULL, 0), 0);
    assert_int_equal(out.calls, 1);
    check(9, NULL, 0, 0);
}

/* A record holds at most RECORD_CONTENT_MAX bytes, parts run across record
 * boundaries, and a large body takes several calls of IOV_BATCH entries. */
static void
test_large_response_spans_records_and_calls(void **state)
{
    size_t big = 5 * 1024 * 1024 + 3;
    char *body = xmalloc(big);
    struct iovec parts[3];
    char a[40000], b[40000];

    (void)state;
    memset(a, 'a', sizeof(a));
    memset(b, 'b', sizeof(b));
    for (size_t i = 0; i < big; i++) {
        body[i] = (char)(i * 131 + 7);
    }
    parts[0] = (struct iovec){a, sizeof(a)};
    parts[1] = (struct iovec){b, sizeof(b)};
    parts[2] = (struct iovec){body, big};
    assert_int_equal(record_respond(7, 3, parts, 3), 0);
    /* 80,000 + 5 MB in records of 65,528: 82 of them, 2 or 3 entries each */
    check(3, parts, 3, (int)((80000 + big + RECORD_CONTENT_MAX - 1) / RECORD_CONTENT_MAX));
    assert_true(out.calls > 1);
    free(body);
}

/* Short writes and interrupted calls go on where they stopped. */
static void
test_short_and_interrupted_writes_resume(void **state)
{
    static char body[200000];
    struct iovec parts[] = {{"Status: 200 OK\r\n\r\n", 18}, {body, sizeof(body)}};

    (void)state;
    for (size_t i = 0; i < sizeof(body); i++) {
        body[i] = (char)(i % 251);
    }
    out.limit = 999;
    out.eintr = 2;
    assert_int_equal(record_respond(7, 42, parts, 2), 0);
    assert_true(out.calls > 200);
    check(42, parts, 2, 4);
}

/* A connection that fails is -1 with its errno; bad arguments are EINVAL. */
static void
test_failures(void **state)
{
    struct iovec parts[] = {{"x", 1}};

    (void)state;
    out.fail_errno = EPIPE;
    errno = 0;
    assert_int_equal(record_respond(7, 1, parts, 1), -1);
    assert_int_equal(errno, EPIPE);
    out.fail_errno = 0;
    out.calls = 0;
    assert_int_equal(record_respond(-1, 1, parts, 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(record_respond(7, 0x10000, parts, 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(record_respond(7, -1, parts, 1), -1);
    assert_int_equal(record_respond(7, 1, NULL, 1), -1);
    assert_int_equal(record_respond(7, 1, parts, -1), -1);
    assert_int_equal(out.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_small_response_is_one_write, reset),
        cmocka_unit_test_setup(test_empty_parts_and_no_content, reset),
        cmocka_unit_test_setup(test_large_response_spans_records_and_calls, reset),
        cmocka_unit_test_setup(test_short_and_interrupted_writes_resume, reset),
        cmocka_unit_test_setup(test_failures, reset),
    };

    return cmocka_run_group_tests(tests, NULL, reset);
}
