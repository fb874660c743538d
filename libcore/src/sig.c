/* Signature records as the generator sends them (upstream: generator.c
 * generate_and_send_sums): per block the int32 rolling sum (little-endian) then the first
 * s2len bytes of its strong sum. Blocks are cut from buf every block_len bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "oc_core.h"

size_t oc_sig_records(int algo, const uint8_t *buf, size_t len, uint32_t block_len,
                      uint32_t seed, int seed_mode, int32_t s2len, uint8_t *out)
{
    uint8_t full[32];
    uint8_t *p = out;
    for (size_t off = 0; off < len; off += block_len) {
        size_t l = len - off < block_len ? len - off : block_len;
        uint32_t s = oc_rolling_checksum(buf + off, l);
        p[0] = (uint8_t)s; p[1] = (uint8_t)(s >> 8); p[2] = (uint8_t)(s >> 16);
        p[3] = (uint8_t)(s >> 24);
        oc_strong_sum(algo, buf + off, l, seed, seed_mode, full);
        memcpy(p + 4, full, (size_t)s2len);
        p += 4 + s2len;
    }
    return (size_t)(p - out);
}
