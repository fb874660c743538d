/* MD4 (RFC 1320), as rsync uses it for block and file sums below protocol 30.
 * Protocol >= 27 semantics only: a standard MD4 over the bytes (upstream lib/mdfour.c). */
#include <stdint.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include "oc_core.h"


#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define G(x, y, z) (((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z) ((x) ^ (y) ^ (z))

static void md4_block(uint32_t st[4], const uint8_t *p)
{
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16
             | (uint32_t)p[4 * i + 3] << 24;
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

void oc_md4_init(oc_md4_ctx *c)
{
    c->st[0] = 0x67452301u; c->st[1] = 0xefcdab89u;
    c->st[2] = 0x98badcfeu; c->st[3] = 0x10325476u;
    c->total = 0;
    c->used = 0;
}

void oc_md4_update(oc_md4_ctx *c, const uint8_t *p, size_t len)
{
    c->total += len;
    if (c->used) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->buf + c->used, p, take);
        c->used += take; p += take; len -= take;
        if (c->used < 64)
            return;
        md4_block(c->st, c->buf);
        c->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        md4_block(c->st, p);
    memcpy(c->buf, p, len);
    c->used = len;
}

void oc_md4_final(oc_md4_ctx *c, uint8_t *out)
{
    uint64_t bits = c->total * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (c->used < 56 ? 56 : 120) - c->used;
    uint8_t lenb[8];
    for (int i = 0; i < 8; i++)
        lenb[i] = (uint8_t)(bits >> (8 * i));
    oc_md4_update(c, pad, padlen);
    oc_md4_update(c, lenb, 8);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(c->st[i] >> (8 * j));
}

void oc_md4(const uint8_t *buf, size_t len, uint8_t *out16)
{
    oc_md4_ctx c;
    oc_md4_init(&c);
    oc_md4_update(&c, buf, len);
    oc_md4_final(&c, out16);
}
