/* SHA-1's compression function (FIPS 180-4), for --checksum-choice=sha1; digest.c
 * does the buffering and padding. Words are big-endian. */
#include <stddef.h>
#include <stdint.h>
#include "digest.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

void oc_sha1_block(uint32_t st[5], const uint8_t *p)
{
    uint32_t w[80];
    oc_words_be(w, p);
    for (int i = 16; i < 80; i++)
        w[i] = ROTL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
    /* one round: e += (a <<< 5) + f(b,c,d) + k + w[i]; b <<<= 30; the caller rotates
     * the names, five rounds at a time, instead of moving the values */
#define R(f, k, a, b, c, d, e, i) do { \
        e += ROTL(a, 5) + f(b, c, d) + (k) + w[i]; b = ROTL(b, 30); } while (0)
#define FIVE(f, k, i) do { \
        R(f, k, a, b, c, d, e, i); R(f, k, e, a, b, c, d, (i) + 1); \
        R(f, k, d, e, a, b, c, (i) + 2); R(f, k, c, d, e, a, b, (i) + 3); \
        R(f, k, b, c, d, e, a, (i) + 4); } while (0)
#define CH(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define PARITY(b, c, d) ((b) ^ (c) ^ (d))
#define MAJ(b, c, d) (((b) & (c)) | ((d) & ((b) | (c))))
    for (int i = 0; i < 20; i += 5)
        FIVE(CH, 0x5A827999u, i);
    for (int i = 20; i < 40; i += 5)
        FIVE(PARITY, 0x6ED9EBA1u, i);
    for (int i = 40; i < 60; i += 5)
        FIVE(MAJ, 0x8F1BBCDCu, i);
    for (int i = 60; i < 80; i += 5)
        FIVE(PARITY, 0xCA62C1D6u, i);
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e;
}
