/* The 64-byte-block compression functions digest.c drives (internal to libcore). */
#ifndef OC_DIGEST_H
#define OC_DIGEST_H
#include <stdint.h>

/* a 64-byte block as sixteen 32-bit words: little-endian (MD4, MD5), big-endian (SHA-1) */
static inline void oc_words_le(uint32_t x[16], const uint8_t *p)
{
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16
             | (uint32_t)p[4 * i + 3] << 24;
}

static inline void oc_words_be(uint32_t x[16], const uint8_t *p)
{
    for (int i = 0; i < 16; i++)
        x[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16
             | (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
}

void oc_md4_block(uint32_t st[5], const uint8_t *p);
void oc_md5_block(uint32_t st[5], const uint8_t *p);
void oc_sha1_block(uint32_t st[5], const uint8_t *p);

#endif
