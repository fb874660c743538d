/* MD4's compression function (RFC 1320), as rsync uses MD4 for block and file sums below
 * protocol 30 (protocol >= 27 semantics: a standard MD4 over the bytes, upstream
 * lib/mdfour.c); digest.c does the buffering and padding. */
#include <stddef.h>
#include <stdint.h>
#include "digest.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z) ((x) ^ (y) ^ (z))

void oc_md4_block(uint32_t st[5], const uint8_t *p)
{
    uint32_t x[16];
    oc_words_le(x, p);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
    static const int r1[4] = {3, 7, 11, 19}, r2[4] = {3, 5, 9, 13}, r3[4] = {3, 9, 11, 15};
    static const int o3[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
    for (int i = 0; i < 16; i++) {
        uint32_t t = a + F(b, c, d) + x[i];
        a = d; d = c; c = b; b = ROTL(t, r1[i & 3]);
    }
    for (int i = 0; i < 16; i++) {
        int k = (i & 3) * 4 + (i >> 2);
        uint32_t t = a + G(b, c, d) + x[k] + 0x5A827999u;
        a = d; d = c; c = b; b = ROTL(t, r2[i & 3]);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t t = a + H(b, c, d) + x[o3[i]] + 0x6ED9EBA1u;
        a = d; d = c; c = b; b = ROTL(t, r3[i & 3]);
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d;
}
