/* sha256.c: thin wrapper over libcrypto's one-shot digest. */
#include <openssl/evp.h>
#include <stdlib.h>

#include "sha256.h"

void
sha256(const void *p, size_t n, unsigned char out[SHA256_LEN])
{
    unsigned int len = SHA256_LEN;

    /* EVP_Digest only fails on allocation failure inside OpenSSL */
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1) {
        abort();
    }
}

void
sha256_hex(const void *p, size_t n, char out[2 * SHA256_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char d[SHA256_LEN];
    int i;

    sha256(p, n, d);
    for (i = 0; i < SHA256_LEN; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 0xf];
    }
    out[2 * SHA256_LEN] = '\0';
}
