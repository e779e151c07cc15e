/*
 * hash.h: the one non-cryptographic hash of the code base, FNV-1a 64: the
 * slots of the in-memory maps and the validators (ETags) of responses. Not
 * for anything an attacker must not collide (sha256.h is).
 */
#ifndef ESPORTS_HASH_H
#define ESPORTS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64 of n bytes at p (n may be 0, then p may be NULL). */
uint64_t hash_bytes(const void *p, size_t n);
/* FNV-1a 64 of a NUL-terminated string: hash_bytes(s, strlen(s)). */
uint64_t hash_str(const char *s);

#endif
