/* Block matcher, upstream match.c (build_hash_table, hash_search, match_sums), over the
 * whole new file in memory (an mmap from the caller), plain or in-place.
 *
 * Facts ported as they are upstream:
 * - table size = count/8*10 + 11, at least 65536; at exactly 65536 buckets the bucket is
 *   (s1 + s2) & 0xffff, otherwise sum % tablesize; chains are built by pushing each block,
 *   so a chain lists blocks from the highest index down;
 * - a sum1 hit is verified by the strong sum of the same length (computed once per offset),
 *   at most MAX_CHAIN_LEN sum1-equal candidates per offset;
 * - after a hit, the block right after the previous match (want_i) wins if it also matches;
 * - pending literal data is flushed (token -2) once it reaches blength + CHUNK_SIZE bytes
 *   and more than CHUNK_SIZE bytes remain before `end`;
 * - the rolling sum works on signed chars with uint32 wrap-around;
 * - in-place (the receiver overwrites its basis): a block lying before the current offset
 *   is dropped from its chain for good unless it was matched at its own offset; a match
 *   prefers the block aligned with the current offset, and a run of zeros may jump ahead
 *   to the next block boundary to re-align (upstream's SUMFLG_SAME_OFFSET logic).
 * The matcher is resumable: it stops when the output array is full, or when its next step
 * would read past the bytes it was given, and continues later. The caller holds a window
 * of the file (upstream's map_ptr): `data` is the byte at file offset `base`, valid up to
 * `avail`; oc_matcher_need() tells how far the window must reach for the next step and
 * oc_matcher_low_water() what it may forget. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>
#include "oc_core.h"

#define TRADITIONAL_TABLESIZE (1u << 16)
#define CHUNK_SIZE (32 * 1024)
#define MAX_CHAIN_LEN 1024
#define MAYBE_BITS 18 /* 32 KiB: stays in L1 while the search rolls byte by byte */

struct oc_matcher {
    int32_t count, blength, remainder, s2len;
    int algo, seed_mode;
    uint32_t seed;
    uint32_t *sum1;
    uint8_t *sum2;
    int32_t *chain, *table;
    uint32_t tablesize;
    uint64_t fastmod; /* tablesize's reciprocal for bucket() when it is not 65536 */
    uint64_t *occupied; /* a bit per bucket: the table's bucket holds a block */
    uint64_t *maybe; /* a bit per wide_key(sum): some block's sum1 has that key */
    /* resumable state of hash_search */
    int phase; /* 0 start, 1 searching, 2 tail flushes (no blocks), 3 done */
    int64_t offset, end, last_match, len;
    int32_t k, want_i;
    uint32_t s1, s2;
    /* in-place mode */
    uint8_t *same_offset; /* NULL unless in-place; per block: matched at its own offset */
    int64_t aligned_offset;
    int32_t aligned_i;
    /* upstream's match_report counters */
    int64_t matches, hash_hits, false_alarms;
};

static uint32_t bucket(const oc_matcher *m, uint32_t s1, uint32_t s2, uint32_t sum)
{
    if (m->tablesize == TRADITIONAL_TABLESIZE)
        return (s1 + s2) & 0xffff;
    /* sum % tablesize without a division (Lemire's fastmod, exact for 32-bit values) */
    return (uint32_t)(((unsigned __int128)(m->fastmod * sum) * m->tablesize) >> 64);
}

static uint32_t wide_key(uint32_t sum)
{
    return (sum * 0x9E3779B1u) >> (32 - MAYBE_BITS);
}

static int bit(const uint64_t *bits, uint32_t i)
{
    return (int)(bits[i >> 6] >> (i & 63)) & 1;
}

static int32_t block_len(const oc_matcher *m, int32_t i)
{
    return (i == m->count - 1 && m->remainder) ? m->remainder : m->blength;
}

oc_matcher *oc_matcher_new(const uint32_t *sum1, const uint8_t *sum2, int32_t count,
                           int32_t blength, int32_t remainder, int32_t s2len,
                           int algo, uint32_t seed, int seed_mode)
{
    oc_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->count = count; m->blength = blength; m->remainder = remainder; m->s2len = s2len;
    m->algo = algo; m->seed = seed; m->seed_mode = seed_mode;
    size_t n = count > 0 ? (size_t)count : 1;
    m->sum1 = malloc(n * sizeof *m->sum1);
    m->sum2 = malloc(n * (size_t)(s2len > 0 ? s2len : 1));
    m->chain = malloc(n * sizeof *m->chain);
    uint32_t ts = (uint32_t)(count / 8) * 10 + 11;
    m->tablesize = ts < TRADITIONAL_TABLESIZE ? TRADITIONAL_TABLESIZE : ts;
    m->table = malloc((size_t)m->tablesize * sizeof *m->table);
    m->fastmod = UINT64_MAX / m->tablesize + 1;
    m->occupied = calloc((m->tablesize + 63) / 64, sizeof *m->occupied);
    m->maybe = calloc(((size_t)1 << MAYBE_BITS) / 64, sizeof *m->maybe);
    if (!m->sum1 || !m->sum2 || !m->chain || !m->table || !m->occupied || !m->maybe) {
        oc_matcher_free(m);
        return NULL;
    }
    if (count > 0) {
        memcpy(m->sum1, sum1, (size_t)count * sizeof *sum1);
        memcpy(m->sum2, sum2, (size_t)count * (size_t)s2len);
    }
    memset(m->table, 0xff, (size_t)m->tablesize * sizeof *m->table);
    for (int32_t i = 0; i < count; i++) {
        uint32_t s = m->sum1[i];
        uint32_t t = bucket(m, s & 0xffff, s >> 16, s);
        m->chain[i] = m->table[t];
        m->table[t] = i;
        m->occupied[t >> 6] |= (uint64_t)1 << (t & 63);
        uint32_t w = wide_key(s);
        m->maybe[w >> 6] |= (uint64_t)1 << (w & 63);
    }
    return m;
}

void oc_matcher_free(oc_matcher *m)
{
    if (!m)
        return;
    free(m->sum1); free(m->sum2); free(m->chain); free(m->table); free(m->same_offset);
    free(m->occupied); free(m->maybe);
    free(m);
}

int oc_matcher_inplace(oc_matcher *m)
{
    if (!m->same_offset)
        m->same_offset = calloc(m->count > 0 ? (size_t)m->count : 1, 1);
    return m->same_offset ? 0 : -1;
}

static int strong_eq(const oc_matcher *m, const uint8_t *sum2, int32_t i)
{
    return memcmp(sum2, m->sum2 + (size_t)i * m->s2len, (size_t)m->s2len) == 0;
}

/* In-place: after block i matched at *offset, prefer the block aligned with the offset
 * (re-aligning a zero run to the next boundary when it can); returns the block to use. */
static int32_t prefer_aligned(oc_matcher *m, const uint8_t *data, int64_t len, int64_t *offset,
                              int32_t i, int32_t l, uint32_t sum, const uint8_t *sum2)
{
    while (m->aligned_offset < *offset) {
        m->aligned_offset += m->blength;
        m->aligned_i++;
    }
    int32_t a = m->aligned_i;
    if (!((*offset == m->aligned_offset
           || (sum == 0 && l == m->blength && m->aligned_offset + l <= len))
          && a < m->count))
        return i;
    if (i != a && (sum != m->sum1[a] || l != block_len(m, a) || !strong_eq(m, sum2, a)))
        return i;
    if (*offset != m->aligned_offset) {
        const uint8_t *p = data + m->aligned_offset;
        uint8_t again[32];
        if (oc_rolling_checksum(p, (size_t)l) != m->sum1[a])
            return a; /* a matches here too; only the jump ahead is off */
        oc_strong_sum(m->algo, p, (size_t)l, m->seed, m->seed_mode, again);
        if (!strong_eq(m, again, a))
            return a;
        *offset = m->aligned_offset;
    }
    m->same_offset[a] = 1;
    m->want_i = a;
    return a;
}

int64_t oc_matcher_need(const oc_matcher *m)
{
    /* a step at offset reads below offset + 2 * blength + 1: the rolling window's next
     * byte, a strong sum, in place the aligned block, after a match the next window */
    if (m->phase >= 2 || m->count <= 0 || m->len <= 0)
        return 0; /* the no-blocks path only cuts the file into records */
    int64_t need = m->offset + 2 * (int64_t)m->blength + 1;
    return need < m->len ? need : m->len;
}

int64_t oc_matcher_low_water(const oc_matcher *m)
{
    int64_t lw = m->last_match < m->offset ? m->last_match : m->offset;
    return lw > 0 ? lw - 1 : 0;
}

static void emit(oc_matcher *m, oc_match_rec *out, int *n, int64_t offset, int32_t token)
{
    oc_match_rec *r = &out[(*n)++];
    r->lit_offset = m->last_match;
    r->lit_len = (int32_t)(offset - m->last_match);
    r->token = token;
    m->last_match = token >= 0 ? offset + block_len(m, token) : offset;
}

static void start(oc_matcher *m, const uint8_t *data, int64_t len)
{
    if (len > 0 && m->count > 0) {
        m->k = (int32_t)(len < m->blength ? len : m->blength);
        uint32_t sum = oc_rolling_checksum(data, (size_t)m->k);
        m->s1 = sum & 0xffff;
        m->s2 = sum >> 16;
        m->end = len + 1 - block_len(m, m->count - 1);
        m->phase = 1;
    } else {
        m->offset = CHUNK_SIZE; /* next flush point of the no-blocks path */
        m->phase = 2;
    }
}

/* One iteration of hash_search's loop body at m->offset; returns records written. */
static void search_step(oc_matcher *m, const uint8_t *data, int64_t len, oc_match_rec *out,
                        int *n)
{
    const int8_t *sd = (const int8_t *)data;
    int64_t offset = m->offset;
    uint32_t s1 = m->s1, s2 = m->s2;
    int32_t k = m->k;
    uint32_t sum = (s1 & 0xffff) | (s2 << 16);
    int32_t *prev = &m->table[bucket(m, s1, s2, sum)];
    int32_t i;
    int done_csum2 = 0, chain_len = 0;
    uint8_t sum2[32];
    if (*prev >= 0)
        m->hash_hits++;
    for (i = *prev; i >= 0; i = m->chain[i]) {
        if (m->same_offset && (int64_t)i * m->blength < offset && !m->same_offset[i]) {
            *prev = m->chain[i]; /* behind us and overwritten: never usable again */
            continue;
        }
        prev = &m->chain[i];
        if (sum != m->sum1[i])
            continue;
        if (++chain_len > MAX_CHAIN_LEN)
            break;
        int32_t l = (int32_t)(len - offset < m->blength ? len - offset : m->blength);
        if (l != block_len(m, i))
            continue;
        if (!done_csum2) {
            oc_strong_sum(m->algo, data + offset, (size_t)l, m->seed, m->seed_mode, sum2);
            done_csum2 = 1;
        }
        if (!strong_eq(m, sum2, i)) {
            m->false_alarms++;
            continue;
        }
        if (m->same_offset)
            i = prefer_aligned(m, data, len, &offset, i, l, sum, sum2);
        int32_t w = m->want_i;
        if (i != w && w < m->count
            && (!m->same_offset || (int64_t)w * m->blength >= offset || m->same_offset[w])
            && sum == m->sum1[w] && l == block_len(m, w) && strong_eq(m, sum2, w))
            i = w;
        m->want_i = i + 1;
        emit(m, out, n, offset, i);
        offset += block_len(m, i) - 1;
        k = (int32_t)(len - offset < m->blength ? len - offset : m->blength);
        sum = oc_rolling_checksum(data + offset, (size_t)k);
        s1 = sum & 0xffff;
        s2 = sum >> 16;
        m->matches++;
        break;
    }
    int64_t backup = offset - m->last_match;
    if (backup < 0)
        backup = 0;
    int more = offset + k < len;
    int32_t first = sd[offset];
    s1 -= (uint32_t)first;
    s2 -= (uint32_t)k * (uint32_t)first;
    if (more) {
        s1 += (uint32_t)(int32_t)sd[offset + k];
        s2 += s1;
    } else {
        --k;
    }
    if (backup >= (int64_t)m->blength + CHUNK_SIZE && m->end - offset > CHUNK_SIZE)
        emit(m, out, n, offset - m->blength, -2);
    m->offset = offset + 1;
    m->s1 = s1; m->s2 = s2; m->k = k;
}

/* search_step's steps at offsets where no block can match, in one tight loop: while the
 * sum's wide key has no block (m->maybe), the bucket is only looked at to count upstream's
 * hash_hits, and the window rolls on. Stops before an offset that may match, that must
 * flush literal data, that is `end`, or past `limit` (the window's last readable step).
 * Not in place, where visiting a bucket also prunes its chain. */
static void skip_unmatchable(oc_matcher *m, const uint8_t *data, int64_t len, int64_t limit)
{
    const int8_t *sd = (const int8_t *)data;
    int64_t offset = m->offset, stop = m->end < limit ? m->end : limit;
    int64_t flush_at = m->last_match + m->blength + CHUNK_SIZE;
    int64_t far = m->end - CHUNK_SIZE; /* flushing needs end - offset > CHUNK_SIZE */
    uint32_t s1 = m->s1, s2 = m->s2;
    int32_t k = m->k;
    int64_t hits = 0;
    while (offset < stop) {
        uint32_t sum = (s1 & 0xffff) | (s2 << 16);
        if (bit(m->maybe, wide_key(sum)) || (offset >= flush_at && offset < far))
            break;
        hits += bit(m->occupied, bucket(m, s1, s2, sum));
        int32_t first = sd[offset];
        s1 -= (uint32_t)first;
        s2 -= (uint32_t)k * (uint32_t)first;
        if (offset + k < len) {
            s1 += (uint32_t)(int32_t)sd[offset + k];
            s2 += s1;
        } else {
            --k;
        }
        offset++;
    }
    m->offset = offset;
    m->s1 = s1; m->s2 = s2; m->k = k;
    m->hash_hits += hits;
}

int oc_matcher_run(oc_matcher *m, const uint8_t *window, int64_t base, int64_t avail,
                   int64_t len, oc_match_rec *out, int cap, int *done)
{
    int n = 0;
    *done = 0;
    m->len = len;
    if (cap < 2 || base > oc_matcher_low_water(m) || avail < oc_matcher_need(m))
        return 0;
    /* offsets stay file offsets: data[x] is window[x - base] for x in [base, avail) */
    const uint8_t *data = (const uint8_t *)((uintptr_t)window - (uintptr_t)base);
    if (m->phase == 0)
        start(m, data, len);
    /* a step at an offset below limit reads inside the window (see oc_matcher_need) */
    int64_t limit = avail >= len ? len : avail - 2 * (int64_t)m->blength;
    while (m->phase == 1 && n <= cap - 2 && oc_matcher_need(m) <= avail) {
        if (!m->same_offset && m->offset < m->end) {
            skip_unmatchable(m, data, len, limit);
            if (m->offset >= m->end) { /* as after the last step below */
                emit(m, out, &n, len, -1);
                m->phase = 3;
                break;
            }
            if (oc_matcher_need(m) > avail)
                break;
        }
        search_step(m, data, len, out, &n);
        if (m->offset >= m->end) {
            emit(m, out, &n, len, -1);
            m->phase = 3;
        }
    }
    while (m->phase == 2 && n < cap) {
        if (m->offset < len) {
            emit(m, out, &n, m->offset, -2);
            m->offset += CHUNK_SIZE;
        } else {
            emit(m, out, &n, len, -1);
            m->phase = 3;
        }
    }
    *done = m->phase == 3;
    return n;
}

void oc_matcher_counts(const oc_matcher *m, int64_t *out3)
{
    out3[0] = m->matches;
    out3[1] = m->hash_hits;
    out3[2] = m->false_alarms;
}
