/* Strong block sums, upstream checksum.c get_checksum2. MD4 is ours (md4.c), MD5 and SHA1
 * come from OpenSSL's libcrypto, XXH64/XXH3/XXH128 from libxxhash. Multi-byte results of
 * the xxh family are written little-endian, as upstream's SIVAL64 does. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdint.h>
#include <string.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <xxhash.h>
#include <stddef.h>
#include <stdint.h>
#include "oc_core.h"


int oc_core_abi_version(void) { return 6; }

static void put64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int oc_strong_sum(int algo, const uint8_t *buf, size_t len, uint32_t seed, int seed_mode,
                  uint8_t *out)
{
    uint8_t sb[4] = {(uint8_t)seed, (uint8_t)(seed >> 8), (uint8_t)(seed >> 16),
                     (uint8_t)(seed >> 24)};
    int pre = seed_mode == 2, post = seed_mode == 1;
    uint64_t hseed = seed_mode == 3 ? seed : 0;
    switch (algo) {
    case OC_CSUM_MD4: {
        oc_md4_ctx c;
        oc_md4_init(&c);
        if (pre) oc_md4_update(&c, sb, 4);
        oc_md4_update(&c, buf, len);
        if (post) oc_md4_update(&c, sb, 4);
        oc_md4_final(&c, out);
        return 16;
    }
    case OC_CSUM_MD5: {
        MD5_CTX c;
        MD5_Init(&c);
        if (pre) MD5_Update(&c, sb, 4);
        MD5_Update(&c, buf, len);
        if (post) MD5_Update(&c, sb, 4);
        MD5_Final(out, &c);
        return 16;
    }
    case OC_CSUM_SHA1: {
        SHA_CTX c;
        SHA1_Init(&c);
        if (pre) SHA1_Update(&c, sb, 4);
        SHA1_Update(&c, buf, len);
        if (post) SHA1_Update(&c, sb, 4);
        SHA1_Final(out, &c);
        return 20;
    }
    case OC_CSUM_XXH64:
        put64le(out, XXH64(buf, len, hseed));
        return 8;
    case OC_CSUM_XXH3:
        put64le(out, XXH3_64bits_withSeed(buf, len, hseed));
        return 8;
    case OC_CSUM_XXH128: {
        XXH128_hash_t h = XXH3_128bits_withSeed(buf, len, hseed);
        put64le(out, h.low64);
        put64le(out + 8, h.high64);
        return 16;
    }
    case OC_CSUM_NONE:
        memset(out, 0, 16);
        return 0;
    }
    return -1;
}

void oc_block_strong_sums(int algo, const uint8_t *buf, size_t len, uint32_t block_len,
                          uint32_t seed, int seed_mode, int32_t s2len, uint8_t *out)
{
    uint8_t full[32];
    for (size_t off = 0; off < len; off += block_len) {
        size_t l = len - off < block_len ? len - off : block_len;
        oc_strong_sum(algo, buf + off, l, seed, seed_mode, full);
        memcpy(out, full, (size_t)s2len);
        out += s2len;
    }
}
