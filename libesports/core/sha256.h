/* sha256.h: SHA-256 of a byte range (OpenSSL's libcrypto behind one module). */
#ifndef ESPORTS_SHA256_H
#define ESPORTS_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32

void sha256(const void *p, size_t n, unsigned char out[SHA256_LEN]);
/* Writes the 64 lower-case hex digits and a NUL into out. */
void sha256_hex(const void *p, size_t n, char out[2 * SHA256_LEN + 1]);

#endif
