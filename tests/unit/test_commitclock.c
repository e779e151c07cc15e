/* test_commitclock.c: the shared commit counter, as two processes see it. */
#include "testutil.h"

#include <unistd.h>

#include "commitclock.h"

static void
test_versions_move_with_commits(void **state)
{
    char path[] = "/tmp/esports-commitclock-XXXXXX";
    struct commitclock *writer, *reader;
    uint64_t v0, v1;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    writer = commitclock_open(path);
    reader = commitclock_open(path); /* a second mapping, as a worker has */
    assert_non_null(writer);
    assert_non_null(reader);

    v0 = commitclock_read(reader);
    assert_int_not_equal(v0, 0);
    commitclock_begin(writer);
    assert_int_equal(commitclock_read(reader), 0); /* under way: ask the database */
    commitclock_done(writer);
    v1 = commitclock_read(reader);
    assert_true(v1 > v0);

    /* a writer that died between begin and done: the next one settles it */
    commitclock_begin(writer);
    assert_int_equal(commitclock_read(reader), 0);
    commitclock_settle(writer);
    assert_true(commitclock_read(reader) > v1);

    commitclock_close(writer);
    commitclock_close(reader);
    unlink(path);
}

static void
test_unusable_file_is_null(void **state)
{
    (void)state;
    assert_null(commitclock_open("/nonexistent-dir/commits.shm"));
    commitclock_begin(NULL); /* the consumer calls these without a clock */
    commitclock_done(NULL);
    commitclock_settle(NULL);
    commitclock_close(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions_move_with_commits),
        cmocka_unit_test(test_unusable_file_is_null),
    };

    return cmocka_run_group_tests_name("commitclock", tests, NULL, NULL);
}
