/* test_gen.c: the message generator is deterministic and its messages parse. */
#include "testutil.h"

#include "gen.h"
#include "msg.h"
#include "rc.h"
#include "sha256.h"

/* SHA-256 of the first n messages of a generator. */
static void
digest(uint64_t seed, int n, char out[65])
{
    struct gen g;
    buf_t all;

    gen_init(&g, seed, 3, 0.3, "source");
    buf_init(&all, 0);
    for (int i = 0; i < n; i++) {
        gen_next(&g, &all);
        buf_append_char(&all, '\n');
    }
    sha256_hex(all.data, all.len, out);
    buf_cleanup(&all);
    gen_cleanup(&g);
}

static void
test_deterministic(void **state)
{
    char a[65], b[65], c[65];

    (void)state;
    digest(7, 1000, a);
    digest(7, 1000, b);
    digest(8, 1000, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
}

static void
test_messages_parse_and_update(void **state)
{
    const struct msg_opts o = {1024 * 1024, 0};
    struct gen g;
    struct arena a;
    buf_t b;
    int updates = 0;
    char seen[3001] = {0};

    (void)state;
    gen_init(&g, 1, 3, 0.3, "source");
    arena_init(&a, 4096);
    buf_init(&b, 0);
    for (int i = 0; i < 3000; i++) {
        struct match_event *ev;
        char why[256];
        long id;

        buf_reset(&b);
        arena_reset(&a);
        gen_next(&g, &b);
        if (msg_parse(b.data, b.len, &o, &a, &ev, why, sizeof(why)) != RC_OK) {
            fail_msg("message %d does not parse: %s\n%s", i, why, b.data);
        }
        assert_int_equal(ev->nteams, 2);
        assert_string_not_equal(ev->teams[0].external_id, ev->teams[1].external_id);
        id = strtol(ev->external_id, NULL, 10);
        assert_true(id >= 1 && id <= 3000);
        updates += seen[id];
        seen[id] = 1;
    }
    /* about 30 % of the messages update an earlier match */
    assert_in_range(updates, 700, 1100);
    buf_cleanup(&b);
    arena_cleanup(&a);
    gen_cleanup(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_messages_parse_and_update),
    };

    return cmocka_run_group_tests_name("gen", tests, NULL, NULL);
}
