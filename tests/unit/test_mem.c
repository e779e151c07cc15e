/* test_mem.c: the aborting allocators and the arena: alignment, many
 * allocations over many chunks, one larger than a chunk, strndup, reset
 * (the first chunk kept), cleanup, and sizes that cannot be served. */
#include "testutil.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

static const size_t align = _Alignof(max_align_t);

static void
assert_aligned(const void *p)
{
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % align, 0);
}

static void
test_x_allocators(void **state)
{
    char *p, *q;
    int *z;
    size_t i;

    (void)state;
    p = xmalloc(0); /* a pointer, never NULL */
    assert_non_null(p);
    free(p);
    z = xcalloc(100, sizeof(*z));
    for (i = 0; i < 100; i++) {
        assert_int_equal(z[i], 0);
    }
    free(z);
    free(xcalloc(0, 0));
    /* realloc keeps the bytes; from NULL it allocates */
    p = xrealloc(NULL, 4);
    memcpy(p, "abc", 4);
    p = xrealloc(p, 100000);
    assert_string_equal(p, "abc");
    p = xrealloc(p, 0);
    assert_non_null(p);
    free(p);
    p = xstrdup("Team Liquid");
    assert_string_equal(p, "Team Liquid");
    free(p);
    /* strndup copies n bytes (no NUL needed in them) and ends them */
    q = xstrndup("xyz", 2);
    assert_string_equal(q, "xy");
    free(q);
    q = xstrndup("", 0);
    assert_string_equal(q, "");
    free(q);
}

static void
test_arena_alignment(void **state)
{
    struct arena a;
    void *prev = NULL;
    size_t n;

    (void)state;
    arena_init(&a, 1024);
    for (n = 0; n <= 3 * align + 1; n++) {
        char *p = arena_alloc(&a, n);

        assert_aligned(p);
        /* no overlap with the one before, even of size 0 */
        assert_true(p != prev);
        memset(p, 0x5a, n);
        prev = p;
    }
    /* a double and a pointer fit where the arena says */
    *(double *)arena_alloc(&a, sizeof(double)) = 1.5;
    *(void **)arena_alloc(&a, sizeof(void *)) = &a;
    arena_cleanup(&a);
}

static void
test_arena_many_chunks(void **state)
{
    enum { COUNT = 5000, SIZE = 24 };
    struct arena a;
    unsigned char **p = xmalloc(COUNT * sizeof(*p));
    size_t i, k;

    (void)state;
    /* below the minimum chunk: 256 bytes */
    arena_init(&a, 1);
    assert_int_equal(a.chunk_size, 256);
    for (i = 0; i < COUNT; i++) {
        p[i] = arena_alloc(&a, SIZE);
        assert_aligned(p[i]);
        memset(p[i], (int)(i & 0xff), SIZE);
    }
    /* every allocation kept its own bytes: none overlaps another */
    for (i = 0; i < COUNT; i++) {
        for (k = 0; k < SIZE; k++) {
            if (p[i][k] != (i & 0xff)) {
                fail_msg("allocation %zu byte %zu was overwritten", i, k);
            }
        }
    }
    free(p);
    arena_cleanup(&a);
}

static void
test_arena_large(void **state)
{
    struct arena a;
    char *small, *big, *after;
    size_t i;

    (void)state;
    arena_init(&a, 256);
    small = arena_strndup(&a, "before", 6);
    big = arena_alloc(&a, 100000); /* far past a chunk: a chunk of its own */
    assert_aligned(big);
    memset(big, 'b', 100000);
    after = arena_strndup(&a, "after", 5);
    assert_string_equal(small, "before");
    assert_string_equal(after, "after");
    for (i = 0; i < 100000; i++) {
        if (big[i] != 'b') {
            fail_msg("byte %zu of the large allocation changed", i);
        }
    }
    arena_cleanup(&a);
}

static void
test_arena_strndup(void **state)
{
    struct arena a;
    const char raw[3] = {'x', 'y', 'z'}; /* no NUL */
    char *s;

    (void)state;
    arena_init(&a, 0);
    s = arena_strndup(&a, raw, sizeof(raw));
    assert_string_equal(s, "xyz");
    s = arena_strndup(&a, "abcdef", 3);
    assert_string_equal(s, "abc");
    s = arena_strndup(&a, "", 0);
    assert_string_equal(s, "");
    /* the length is the caller's: a NUL inside is copied, one more ends it */
    s = arena_strndup(&a, "ab\0cd", 5);
    assert_memory_equal(s, "ab\0cd", 5);
    assert_int_equal(s[5], '\0');
    assert_int_equal(strlen(s), 2);
    arena_cleanup(&a);
}

static void
test_arena_reset(void **state)
{
    struct arena a;
    char *first, *p;
    int i;

    (void)state;
    arena_init(&a, 512);
    arena_reset(&a); /* nothing yet: a no-op */
    assert_null(a.head);
    first = arena_alloc(&a, 16);
    for (i = 0; i < 100; i++) {
        arena_alloc(&a, 100);
    }
    /* the first chunk is kept and serves the next round from its start */
    arena_reset(&a);
    assert_non_null(a.head);
    p = arena_alloc(&a, 16);
    assert_ptr_equal(p, first);
    arena_reset(&a);
    arena_reset(&a);
    assert_ptr_equal(arena_alloc(&a, 1), first);
    arena_cleanup(&a);
    assert_null(a.head);

    /* a first chunk larger than the usual size is not kept */
    arena_init(&a, 256);
    arena_alloc(&a, 4096);
    arena_alloc(&a, 8);
    arena_reset(&a);
    assert_null(a.head);
    assert_aligned(arena_alloc(&a, 8));
    arena_cleanup(&a);
    /* cleaned up, the arena can be used again; NULL is accepted */
    arena_strndup(&a, "again", 5);
    arena_cleanup(&a);
    arena_cleanup(NULL);
}

/* Runs fn(n) in a child; its wait status (the child exits 0 if fn returns). */
static int
child_status(void (*fn)(size_t), size_t n)
{
    int st = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child's "fatal: out of memory" line is expected: keep it quiet */
        if (freopen("/dev/null", "w", stderr) == NULL) {
            _exit(3);
        }
        fn(n);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void
arena_huge(size_t n)
{
    struct arena a;
    char *p;

    arena_init(&a, 256);
    p = arena_alloc(&a, n);
    p[0] = 1; /* only if it came back: it should not */
    arena_cleanup(&a);
}

static void
xmalloc_huge(size_t n)
{
    free(xmalloc(n));
}

static void
test_out_of_memory(void **state)
{
    int st;

    (void)state;
    /* sizes no chunk can hold abort (the rounding or the header would wrap
     * around to a small block otherwise) */
    st = child_status(arena_huge, SIZE_MAX);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = child_status(arena_huge, SIZE_MAX - 8);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = child_status(arena_huge, SIZE_MAX - 40);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    /* a size malloc refuses never comes back as NULL (AddressSanitizer
     * reports it before malloc can return NULL) */
    st = child_status(xmalloc_huge, SIZE_MAX / 2);
#if defined(__SANITIZE_ADDRESS__)
    assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
#else
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x_allocators),      cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_many_chunks), cmocka_unit_test(test_arena_large),
        cmocka_unit_test(test_arena_strndup),     cmocka_unit_test(test_arena_reset),
        cmocka_unit_test(test_out_of_memory),
    };

    return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
