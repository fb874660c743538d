/* MD5's compression function (RFC 1321), for upstream's MD5 block and file sums;
 * digest.c does the buffering and padding. Words are little-endian. */
#include <stddef.h>
#include <stdint.h>
#include "digest.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* K[i]: the integer part of 2^32 * |sin(i + 1)| */
static const uint32_t K[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu,
    0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu,
    0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau,
    0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu,
    0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu,
    0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u,
    0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u,
    0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u,
    0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u,
};

/* one step: a = b + ((a + f(b,c,d) + x[g] + K[i]) <<< s), the names then rotating */
#define STEP(f, a, b, c, d, g, i, s) \
    do { uint32_t t_ = a + f(b, c, d) + x[g] + K[i]; a = b + ROTL(t_, s); } while (0)
#define F1(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define F2(b, c, d) ((c) ^ ((d) & ((b) ^ (c))))
#define F3(b, c, d) ((b) ^ (c) ^ (d))
#define F4(b, c, d) ((c) ^ ((b) | ~(d)))
/* four steps of round r from step i: word indexes g0 + k*dg (mod 16), shifts s0..s3 */
#define FOUR(f, i, g0, dg, s0, s1, s2, s3) do { \
    STEP(f, a, b, c, d, (g0) & 15, i, s0); \
    STEP(f, d, a, b, c, ((g0) + (dg)) & 15, (i) + 1, s1); \
    STEP(f, c, d, a, b, ((g0) + 2 * (dg)) & 15, (i) + 2, s2); \
    STEP(f, b, c, d, a, ((g0) + 3 * (dg)) & 15, (i) + 3, s3); } while (0)

void oc_md5_block(uint32_t st[5], const uint8_t *p)
{
    uint32_t x[16];
    oc_words_le(x, p);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    /* round 1: word i; round 2: 5i + 1; round 3: 3i + 5; round 4: 7i (all mod 16) */
    for (int i = 0; i < 16; i += 4)
        FOUR(F1, i, i, 1, 7, 12, 17, 22);
    for (int i = 16; i < 32; i += 4)
        FOUR(F2, i, 5 * i + 1, 5, 5, 9, 14, 20);
    for (int i = 32; i < 48; i += 4)
        FOUR(F3, i, 3 * i + 5, 3, 4, 11, 16, 23);
    for (int i = 48; i < 64; i += 4)
        FOUR(F4, i, 7 * i, 7, 6, 10, 15, 21);
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
}
