/* backoff.c: the capped exponential delay; see backoff.h. */
#include <time.h>

#include "backoff.h"

void
backoff_init(struct backoff *b, long start_ms, long max_ms)
{
    b->start_ms = start_ms;
    b->max_ms = max_ms;
    b->delay_ms = start_ms;
}

long
backoff_next(struct backoff *b)
{
    long now = b->delay_ms;

    b->delay_ms = now > b->max_ms / 2 ? b->max_ms : now * 2;
    return now;
}

void
backoff_reset(struct backoff *b)
{
    b->delay_ms = b->start_ms;
}

void
backoff_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}
