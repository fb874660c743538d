/* Strong block sums, upstream checksum.c get_checksum2. MD4, MD5 and SHA1 are ours
 * (digest.c), XXH64/XXH3/XXH128 come from libxxhash, XXH3/XXH128 from xxh_avx2.c when
 * AVX2 is in use. Multi-byte results of the xxh family are written little-endian, as
 * upstream's SIVAL64 does. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <xxhash.h>
#include "oc_core.h"


int oc_core_abi_version(void) { return 8; }

#if defined(__x86_64__) && defined(__GNUC__)
uint64_t oc_xxh3_avx2(const uint8_t *buf, size_t len, uint64_t seed);
void oc_xxh128_avx2(const uint8_t *buf, size_t len, uint64_t seed, uint64_t *low,
                    uint64_t *high);
#define AVX2_XXH (oc_simd_level() == 2)
#else
#define AVX2_XXH 0
#define oc_xxh3_avx2(b, l, s) 0
#define oc_xxh128_avx2(b, l, s, lo, hi) ((void)0)
#endif

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
    case OC_CSUM_MD4:
    case OC_CSUM_MD5:
    case OC_CSUM_SHA1:
        return oc_digest(algo, sb, pre ? 4 : 0, buf, len, sb, post ? 4 : 0, out);
    case OC_CSUM_XXH64:
        put64le(out, XXH64(buf, len, hseed));
        return 8;
    case OC_CSUM_XXH3:
        put64le(out, AVX2_XXH ? oc_xxh3_avx2(buf, len, hseed)
                              : XXH3_64bits_withSeed(buf, len, hseed));
        return 8;
    case OC_CSUM_XXH128: {
        XXH128_hash_t h;
        if (AVX2_XXH)
            oc_xxh128_avx2(buf, len, hseed, &h.low64, &h.high64);
        else
            h = XXH3_128bits_withSeed(buf, len, hseed);
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
