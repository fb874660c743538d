/* MD4, MD5 and SHA-1 over a stream of bytes: each is a compression function over
 * 64-byte blocks (md4.c, md5.c, sha1.c), fed here, and the same padding (0x80, zeros,
 * the bit length: little-endian for MD4/MD5, big-endian for SHA-1). Ours rather than
 * OpenSSL's, whose library would cost every process ~2 ms to load. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "oc_core.h"
#include "digest.h"

static const uint32_t IV[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
                               0xc3d2e1f0u};

static void block(oc_digest_ctx *c, const uint8_t *p)
{
    if (c->algo == OC_CSUM_SHA1)
        oc_sha1_block(c->st, p);
    else if (c->algo == OC_CSUM_MD5)
        oc_md5_block(c->st, p);
    else
        oc_md4_block(c->st, p);
}

int oc_digest_init(oc_digest_ctx *c, int algo)
{
    if (algo != OC_CSUM_MD4 && algo != OC_CSUM_MD5 && algo != OC_CSUM_SHA1)
        return -1;
    memcpy(c->st, IV, sizeof IV);
    c->total = 0;
    c->used = 0;
    c->algo = algo;
    return 0;
}

void oc_digest_update(oc_digest_ctx *c, const uint8_t *p, size_t len)
{
    c->total += len;
    if (c->used) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->buf + c->used, p, take);
        c->used += take; p += take; len -= take;
        if (c->used < 64)
            return;
        block(c, c->buf);
        c->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        block(c, p);
    memcpy(c->buf, p, len);
    c->used = len;
}

int oc_digest_final(oc_digest_ctx *c, uint8_t *out)
{
    int big = c->algo == OC_CSUM_SHA1, words = big ? 5 : 4;
    uint64_t bits = c->total * 8;
    uint8_t pad[72] = {0x80}, lenb[8];
    for (int i = 0; i < 8; i++)
        lenb[i] = (uint8_t)(bits >> (8 * (big ? 7 - i : i)));
    oc_digest_update(c, pad, (c->used < 56 ? 56 : 120) - c->used);
    oc_digest_update(c, lenb, 8);
    for (int i = 0; i < words; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(c->st[i] >> (8 * (big ? 3 - j : j)));
    return 4 * words;
}

int oc_digest(int algo, const uint8_t *pre, size_t pre_len, const uint8_t *buf, size_t len,
              const uint8_t *post, size_t post_len, uint8_t *out)
{
    oc_digest_ctx c;
    if (oc_digest_init(&c, algo) < 0)
        return -1;
    oc_digest_update(&c, pre, pre_len);
    oc_digest_update(&c, buf, len);
    oc_digest_update(&c, post, post_len);
    return oc_digest_final(&c, out);
}

void oc_md4(const uint8_t *buf, size_t len, uint8_t *out16)
{
    oc_digest(OC_CSUM_MD4, NULL, 0, buf, len, NULL, 0, out16);
}
