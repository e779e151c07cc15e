/* fuzz_link.c: team-name folding (link_norm_team) and compatibility
 * (link_team_compatible) on any bytes: bounded, NUL-terminated, idempotent,
 * symmetric. */
#include "fuzz.h"

#include "link.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size), *half;
    char a[LINK_NORM_MAX], b[LINK_NORM_MAX], again[LINK_NORM_MAX], tiny[5];
    size_t n = link_norm_team(s, a, sizeof(a)), cut = strlen(s) / 2;
    double sim_ab, sim_ba;
    int ab, ba;

    FUZZ_CHECK(n == strlen(a) && n < sizeof(a));
    FUZZ_CHECK(n == 0 || (a[0] != ' ' && a[n - 1] != ' ' && strstr(a, "  ") == NULL));
    /* folding a folded name changes nothing */
    link_norm_team(a, again, sizeof(again));
    FUZZ_CHECK(strcmp(a, again) == 0);
    n = link_norm_team(s, tiny, sizeof(tiny));
    FUZZ_CHECK(n == strlen(tiny) && n < sizeof(tiny));

    /* the input's halves as two names */
    half = s + cut;
    link_norm_team(half, b, sizeof(b));
    s[cut] = '\0';
    link_norm_team(s, a, sizeof(a));
    ab = link_team_compatible(a, b, &sim_ab);
    ba = link_team_compatible(b, a, &sim_ba);
    FUZZ_CHECK(ab == ba);
    FUZZ_CHECK(sim_ab >= 0 && sim_ab <= 1 && sim_ba >= 0 && sim_ba <= 1);
    FUZZ_CHECK(link_team_compatible(a, a, NULL) == (a[0] != '\0'));
    free(s);
    return 0;
}
