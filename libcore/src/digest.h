/* The 64-byte-block compression functions digest.c drives (internal to libcore). */
#ifndef OC_DIGEST_H
#define OC_DIGEST_H
#include <stdint.h>

void oc_md4_block(uint32_t st[5], const uint8_t *p);
void oc_md5_block(uint32_t st[5], const uint8_t *p);
void oc_sha1_block(uint32_t st[5], const uint8_t *p);

#endif
