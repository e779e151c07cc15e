/* hash.c: the code base's non-cryptographic hash; see hash.h. */
#include <string.h>

#include "hash.h"

#define K1 0x9E3779B97F4A7C15ULL /* 2^64 / golden ratio, odd */
#define K2 0xC2B2AE3D27D4EB4FULL

/* One 64-bit word into the state: a multiply spreads each of its bits
 * upwards, the shift brings the high half back down. */
static inline uint64_t
mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * K1;
    return h ^ (h >> 29);
}

/* Every bit of h reaches every bit of the result. */
static inline uint64_t
finish(uint64_t h)
{
    h ^= h >> 32;
    h *= K2;
    h ^= h >> 29;
    h *= K1;
    return h ^ (h >> 32);
}

uint64_t
hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = K2 ^ ((uint64_t)n * K1), w;
    size_t i = 0;

    /* eight bytes a step (a response of 20 kB: 2,500 steps, where a byte a
     * step took 20,000 dependent multiplications) */
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = mix(h, w);
    }
    if (i < n) {
        /* the last 1 to 7 bytes, zero-padded: the length, mixed in first,
         * tells "a" from "a\0" */
        w = 0;
        memcpy(&w, s + i, n - i);
        h = mix(h, w);
    }
    return finish(h);
}

uint64_t
hash_str(const char *s)
{
    return hash_bytes(s, strlen(s));
}
