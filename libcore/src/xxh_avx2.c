/* XXH3 and XXH128 of one buffer, compiled for AVX2. libxxhash is built for any x86-64,
 * which means its SSE2 code: on a block already in the cache (the matcher's check of a
 * matched block, the generator's block sums) this is 3.3 times faster. strong.c calls
 * these when oc_simd_level() says AVX2 is in use. */
#include <stddef.h>
#include <stdint.h>
#include "oc_core.h"

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2")
#define XXH_INLINE_ALL /* (every function static here: no clash with libxxhash's) */
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

uint64_t oc_xxh3_avx2(const uint8_t *buf, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(buf, len, seed);
}

void oc_xxh128_avx2(const uint8_t *buf, size_t len, uint64_t seed, uint64_t *low,
                    uint64_t *high)
{
    XXH128_hash_t h = XXH3_128bits_withSeed(buf, len, seed);
    *low = h.low64;
    *high = h.high64;
}
#endif
