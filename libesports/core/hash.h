/*
 * hash.h: the one non-cryptographic hash of the code base, 64 bits, eight
 * bytes a step: the slots of the in-memory maps and the validators (ETags)
 * of responses. Not for anything an attacker must not collide (sha256.h
 * is). Not kept anywhere: its values may change between versions (an ETag
 * then changes once, and a client asks again).
 */
#ifndef ESPORTS_HASH_H
#define ESPORTS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The hash of n bytes at p (n may be 0, then p may be NULL). */
uint64_t hash_bytes(const void *p, size_t n);
/* hash_bytes(s, strlen(s)). */
uint64_t hash_str(const char *s);

#endif
