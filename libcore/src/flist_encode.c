/* flist_encode.c: file-list entries encoded in bulk (upstream: flist.c send_file_entry).
 *
 * The same bytes as oc_wire's FlistEncoder.entry, the reference, which takes every entry
 * this loop stops before: one with a value the wire cannot carry (the reference raises
 * its error) or a length past upstream's limits. The running state moves on only when
 * an entry is done. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "oc_core.h"
#include "flist.h"

static size_t put_le(uint8_t *o, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        o[i] = (uint8_t)(v >> 8 * i);
    return (size_t)n;
}

/* upstream io.c write_var_number: raw as `width` bytes, at least min written, the lead
 * byte's high bits counting the extra ones */
static size_t put_var(uint8_t *o, uint64_t raw, int min, int width) {
    if (width < 8)
        raw &= (UINT64_C(1) << 8 * width) - 1;
    int cnt = 0;
    for (uint64_t t = raw; t; t >>= 8)
        cnt++;
    if (cnt < min)
        cnt = min;
    uint32_t top = (uint32_t)(raw >> 8 * (cnt - 1)) & 0xFF;
    uint32_t bit = 1u << (7 - cnt + min);
    if (top >= bit) {
        o[0] = (uint8_t)~(bit - 1);
        return 1 + put_le(o + 1, raw, cnt);
    }
    o[0] = (uint8_t)(cnt > min ? (top | (~(bit * 2 - 1) & 0xFF)) : top);
    return 1 + put_le(o + 1, raw, cnt - 1);
}

/* 0 for a value past 32 bits (int32 or uint32): the reference's error */
static size_t put_varint(uint8_t *o, int64_t v) {
    if (v >= 0 && v < 0x80) {
        o[0] = (uint8_t)v;
        return 1;
    }
    if (v < INT32_MIN || v > (int64_t)UINT32_MAX)
        return 0;
    return put_var(o, (uint64_t)v, 1, 4);
}

/* An owner name: its length byte, then its bytes (at most 255, checked by the caller). */
static size_t put_name(uint8_t *o, const uint8_t *data, uint32_t off, uint32_t len) {
    o[0] = (uint8_t)len;
    memcpy(o + 1, data + off, len);
    return 1 + (size_t)len;
}

static int fits_int32(int64_t v) {
    return v >= INT32_MIN && v <= INT32_MAX;
}

static size_t put_longint(uint8_t *o, int64_t v) {
    if (v >= 0 && v <= 0x7FFFFFFF)
        return put_le(o, (uint64_t)v, 4);
    put_le(o, 0xFFFFFFFFu, 4);
    return 4 + put_le(o + 4, (uint64_t)v, 8);
}

/* an int32 below protocol 30 (0 when v does not fit: the reference's error), a varint
 * from 30 */
static size_t put_v30(uint8_t *o, int protocol, int64_t v) {
    if (protocol >= 30)
        return put_varint(o, v);
    return fits_int32(v) ? put_le(o, (uint64_t)v, 4) : 0;
}

/* appends what put_...() writes; the entry is left to the reference when it writes 0 */
#define PUT(call) do { size_t k_ = (call); if (!k_) return 0; n += k_; } while (0)
#define PUT_V30(v) PUT(put_v30(o + n, p, (v)))

static size_t encode_one(oc_flist_state *s, const oc_flist_rec *e, const uint8_t *data,
                         uint8_t *o) {
    const uint32_t opts = s->opts;
    const int p = s->protocol, v30 = p >= 30;
    const uint32_t mode = e->mode, fmt = mode & IFMT;
    const int is_dir = fmt == IFDIR, is_dev = fmt == IFCHR || fmt == IFBLK;
    if (e->name_len == 0 || e->name_len >= MAXPATH || e->uname_len > 255 || e->gname_len > 255
        || e->link_len > MAXPATH || s->checksum_len > 64 || mode > INT32_MAX
        || ((opts & OC_FL_CRTIMES) && !(opts & OC_FL_VARINT)))
        return 0;
    uint32_t x = 0;
    if (is_dir) {
        if (p < 30 || !(e->bits & OC_FR_NO_CONTENT))
            x = e->bits & OC_FR_TOP_DIR ? X_TOP_DIR : 0;
        else
            x = X_NO_CONTENT_DIR | (e->bits & OC_FR_IMPLIED ? X_TOP_DIR : 0);
    }
    if (mode == s->mode)
        x |= X_SAME_MODE;
    int64_t rdev_major = e->rdev_major, s_rdev_major = s->rdev_major;
    const int sends_rdev = ((opts & OC_FL_DEVICES) && is_dev)
        || ((opts & OC_FL_SPECIALS) && p < 31 && (fmt == IFIFO || fmt == IFSOCK));
    if (sends_rdev && is_dev) {
        if (rdev_major == s_rdev_major)
            x |= X_SAME_RDEV_MAJOR;
        s_rdev_major = rdev_major;
        if (p < 30 && e->rdev_minor <= 0xFF)
            x |= X_RDEV_MINOR_8_PRE30;
    } else if (sends_rdev) {  /* a special below 31: zeros */
        rdev_major = s_rdev_major;
        x |= X_SAME_RDEV_MAJOR | (p < 30 ? X_RDEV_MINOR_8_PRE30 : 0);
    }
    int64_t uid = s->uid, gid = s->gid;
    if (!(opts & OC_FL_UID) || (e->uid == uid && s->name_len)) {
        x |= X_SAME_UID;
    } else {
        uid = e->uid;
        if (e->bits & OC_FR_UNAME)
            x |= X_USER_NAME;
    }
    if (!(opts & OC_FL_GID) || (e->gid == gid && s->name_len)) {
        x |= X_SAME_GID;
    } else {
        gid = e->gid;
        if (e->bits & OC_FR_GNAME)
            x |= X_GROUP_NAME;
    }
    if (e->mtime == s->mtime)
        x |= X_SAME_TIME;
    if (e->nsec && p >= 31)
        x |= X_MOD_NSEC;
    int64_t atime = s->atime;
    if ((opts & OC_FL_ATIMES) && !is_dir) {
        if (e->atime == atime)
            x |= X_SAME_ATIME;
        atime = e->atime;
    }
    if ((opts & OC_FL_CRTIMES) && e->crtime == e->mtime)
        x |= X_CRTIME_EQ_MTIME;
    int64_t dev = s->dev;
    if ((opts & OC_FL_HLINKS) && (e->bits & OC_FR_HLINKED) && !is_dir) {
        x |= X_HLINKED;
        if (p >= 30 && !(e->bits & OC_FR_FIRST)) {
            x |= X_HLINK_FIRST;
        } else if (p < 30) {
            if (e->dev == dev)
                x |= X_SAME_DEV_PRE30;
            dev = e->dev;
        }
    }
    const uint8_t *name = data + e->name_off;
    uint32_t l1 = 0, most = e->name_len < s->name_len ? e->name_len : s->name_len;
    if (most > 255)
        most = 255;
    while (l1 < most && name[l1] == s->name[l1])
        l1++;
    const uint32_t l2 = e->name_len - l1;
    if (l1)
        x |= X_SAME_NAME;
    if (l2 > 255)
        x |= X_LONG_NAME;
    size_t n = 0;
    if (opts & OC_FL_VARINT) {
        PUT(put_varint(o, x ? x : X_EXTENDED));
    } else {
        if (!x && !is_dir)
            x |= X_TOP_DIR;
        if ((x & 0xFF00) || !x) {
            x |= X_EXTENDED;
            n += put_le(o, x, 2);
        } else {
            o[n++] = (uint8_t)x;
        }
    }
    if (x & X_SAME_NAME)
        o[n++] = (uint8_t)l1;
    if (x & X_LONG_NAME)
        PUT_V30(l2);
    else
        o[n++] = (uint8_t)l2;
    memcpy(o + n, name + l1, l2);
    n += l2;
    int copy = 0;  /* a later link of this list: the rest is the first's */
    if (x & X_HLINKED && v30 && (e->bits & OC_FR_FIRST)) {
        PUT(put_varint(o + n, e->hlink_first));
        copy = e->hlink_first >= s->list_start;
    }
    if (!copy) {
        if (v30)
            n += put_var(o + n, (uint64_t)e->size, 3, 8);
        else
            n += put_longint(o + n, e->size);
        if (!(x & X_SAME_TIME)) {
            if (v30)
                n += put_var(o + n, (uint64_t)e->mtime, 4, 8);
            else if (fits_int32(e->mtime))
                n += put_le(o + n, (uint64_t)e->mtime, 4);
            else
                return 0;
        }
        if (x & X_MOD_NSEC)
            PUT(put_varint(o + n, e->nsec));
        if ((opts & OC_FL_CRTIMES) && !(x & X_CRTIME_EQ_MTIME))
            n += put_var(o + n, (uint64_t)e->crtime, 4, 8);
        if (!(x & X_SAME_MODE))
            n += put_le(o + n, mode, 4);
        if ((opts & OC_FL_ATIMES) && !is_dir && !(x & X_SAME_ATIME))
            n += put_var(o + n, (uint64_t)e->atime, 4, 8);
        if ((opts & OC_FL_UID) && !(x & X_SAME_UID)) {
            PUT_V30(uid);
            if (v30 && x & X_USER_NAME)
                n += put_name(o + n, data, e->uname_off, e->uname_len);
        }
        if ((opts & OC_FL_GID) && !(x & X_SAME_GID)) {
            PUT_V30(gid);
            if (v30 && x & X_GROUP_NAME)
                n += put_name(o + n, data, e->gname_off, e->gname_len);
        }
        if (sends_rdev) {
            if (!(x & X_SAME_RDEV_MAJOR))
                PUT_V30(rdev_major);
            int64_t minor = is_dev ? e->rdev_minor : 0;
            if (v30)
                PUT(put_varint(o + n, minor));
            else if (x & X_RDEV_MINOR_8_PRE30)
                o[n++] = (uint8_t)minor;
            else if (fits_int32(minor))
                n += put_le(o + n, (uint64_t)minor, 4);
            else
                return 0;
        }
        if (fmt == IFLNK && (opts & OC_FL_LINKS)) {
            PUT_V30(e->link_len);
            memcpy(o + n, data + e->link_off, e->link_len);
            n += e->link_len;
        }
        if (x & X_HLINKED && !v30) {
            if (!(x & X_SAME_DEV_PRE30)) {
                if (e->dev == INT64_MAX)
                    return 0;
                n += put_longint(o + n, e->dev + 1);
            }
            n += put_longint(o + n, e->ino);
        }
        if ((opts & OC_FL_CSUM) && fmt == IFREG) {
            memcpy(o + n, data + e->csum_off, s->checksum_len);
            n += s->checksum_len;
        }
    }
    /* done: the running state moves on */
    s->mode = mode;
    s->rdev_major = s_rdev_major;
    s->uid = uid;
    s->gid = gid;
    s->mtime = e->mtime;
    s->atime = atime;
    s->dev = dev;
    memcpy(s->name, name, e->name_len);
    s->name_len = e->name_len;
    s->count++;
    return n;
}

size_t oc_flist_encode(oc_flist_state *s, const oc_flist_rec *recs, size_t n,
                       const uint8_t *data, uint8_t *out, size_t cap, size_t *written) {
    size_t i = 0, w = 0;
    for (; i < n && cap - w >= OC_FL_ENTRY_MAX; i++) {
        size_t k = encode_one(s, &recs[i], data, out + w);
        if (!k)
            break;
        w += k;
    }
    *written = w;
    return i;
}
