/* test_sha256.c: SHA-256 against the FIPS 180-2 examples and at the padding
 * boundaries (55/56 bytes: the length still fits the last block or not;
 * 63/64/65: one block full, then spilling over), raw digest and hex. */
#include "testutil.h"

#include "sha256.h"

static void
assert_hex(const void *p, size_t n, const char *want)
{
    char out[2 * SHA256_LEN + 1];

    sha256_hex(p, n, out);
    if (strcmp(out, want) != 0) {
        fail_msg("sha256 of %zu bytes = %s, want %s", n, out, want);
    }
}

static void
assert_repeat(char c, size_t n, const char *want)
{
    char *s = xmalloc(n ? n : 1);

    memset(s, c, n);
    assert_hex(s, n, want);
    free(s);
}

static void
test_fips(void **state)
{
    (void)state;
    assert_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
               "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
               112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    /* one million 'a' (the API is one-shot: one buffer) */
    assert_repeat('a', 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_padding_boundaries(void **state)
{
    unsigned char bytes[65];
    size_t i;

    (void)state;
    /* expected values from coreutils sha256sum */
    assert_repeat('a', 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    assert_repeat('a', 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    assert_repeat('a', 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    assert_repeat('a', 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    assert_repeat('a', 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
    assert_repeat('a', 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
    assert_repeat('a', 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
    /* every byte value 0..n-1: NULs and high bytes are data */
    for (i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (unsigned char)i;
    }
    assert_hex(bytes, 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59");
    assert_hex(bytes, 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562");
    assert_hex(bytes, 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488");
    assert_hex(bytes, 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108");
    assert_hex(bytes, 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781");
}

static void
test_raw_and_hex(void **state)
{
    /* "abc": the first and last bytes of the digest */
    unsigned char d[SHA256_LEN + 1];
    char hex[2 * SHA256_LEN + 2];
    char want[2 * SHA256_LEN + 1];
    int i;

    (void)state;
    memset(d, 0xa5, sizeof(d));
    sha256("abc", 3, d);
    assert_int_equal(d[0], 0xba);
    assert_int_equal(d[SHA256_LEN - 1], 0xad);
    assert_int_equal(d[SHA256_LEN], 0xa5); /* nothing written past the digest */
    /* the hex is the raw digest, lower case, NUL-terminated, nothing past it */
    memset(hex, 'X', sizeof(hex));
    sha256_hex("abc", 3, hex);
    for (i = 0; i < SHA256_LEN; i++) {
        snprintf(want + 2 * i, 3, "%02x", d[i]);
    }
    assert_string_equal(hex, want);
    assert_int_equal(hex[2 * SHA256_LEN], '\0');
    assert_int_equal(hex[2 * SHA256_LEN + 1], 'X');
    /* bytes, not a string: a NUL inside counts */
    assert_hex("a\0b", 3, "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
    /* an empty body may come without a buffer */
    assert_hex(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_raw_and_hex),
    };

    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
