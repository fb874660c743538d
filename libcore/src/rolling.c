/* Rolling checksum, upstream checksum.c get_checksum1: bytes are signed chars,
 * s1 = sum of bytes, s2 = sum of prefix sums, result (s1 & 0xffff) | (s2 << 16).
 * An AVX2 path is chosen at run time; it gives the same value as the scalar one. */
#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>
#include "oc_core.h"

static int force_scalar;

void oc_force_scalar(int on) { force_scalar = on; }

static int have_avx2(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return cached;
}

int oc_simd_level(void) { return (!force_scalar && have_avx2()) ? 2 : 0; }

static void roll_scalar(const int8_t *b, size_t len, uint32_t *ps1, uint32_t *ps2)
{
    uint32_t s1 = *ps1, s2 = *ps2;
    for (size_t i = 0; i < len; i++) {
        s1 += (uint32_t)(int32_t)b[i];
        s2 += s1;
    }
    *ps1 = s1;
    *ps2 = s2;
}

__attribute__((target("avx2")))
static void roll_avx2(const int8_t *b, size_t len, uint32_t *ps1, uint32_t *ps2)
{
    uint32_t s1 = *ps1, s2 = *ps2;
    const __m256i weights = _mm256_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21,
                                             20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9,
                                             8, 7, 6, 5, 4, 3, 2, 1);
    const __m256i ones8 = _mm256_set1_epi8(1);
    const __m256i ones16 = _mm256_set1_epi16(1);
    size_t i = 0;
    while (i + 32 <= len) {
        /* Up to 512 chunks before the 32-bit lane sums could overflow int32 ranges. */
        size_t chunks = (len - i) / 32;
        if (chunks > 512)
            chunks = 512;
        __m256i vs1 = _mm256_setzero_si256(), vs2 = _mm256_setzero_si256();
        __m256i vprefix = _mm256_setzero_si256();
        for (size_t c = 0; c < chunks; c++, i += 32) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(b + i));
            /* s2 part from earlier chunks of this run: 32 * (sum so far) */
            vprefix = _mm256_add_epi32(vprefix, vs1);
            vs1 = _mm256_add_epi32(vs1, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, x), ones16));
            vs2 = _mm256_add_epi32(vs2, _mm256_madd_epi16(_mm256_maddubs_epi16(weights, x), ones16));
        }
        uint32_t t1[8], t2[8], tp[8];
        _mm256_storeu_si256((__m256i *)t1, vs1);
        _mm256_storeu_si256((__m256i *)t2, vs2);
        _mm256_storeu_si256((__m256i *)tp, vprefix);
        uint32_t run1 = 0, run2 = 0, pre = 0;
        for (int k = 0; k < 8; k++) {
            run1 += t1[k];
            run2 += t2[k];
            pre += tp[k];
        }
        uint32_t n = (uint32_t)chunks * 32;
        s2 += s1 * n + 32 * pre + run2;
        s1 += run1;
    }
    roll_scalar(b + i, len - i, &s1, &s2);
    *ps1 = s1;
    *ps2 = s2;
}

uint32_t oc_rolling_checksum(const uint8_t *buf, size_t len)
{
    uint32_t s1 = 0, s2 = 0;
    if (oc_simd_level() == 2)
        roll_avx2((const int8_t *)buf, len, &s1, &s2);
    else
        roll_scalar((const int8_t *)buf, len, &s1, &s2);
    return (s1 & 0xffff) | (s2 << 16);
}

void oc_block_sums(const uint8_t *buf, size_t len, uint32_t block_len, uint32_t *out)
{
    size_t n = 0;
    for (size_t off = 0; off < len; off += block_len) {
        size_t l = len - off < block_len ? len - off : block_len;
        out[n++] = oc_rolling_checksum(buf + off, l);
    }
}
