/* flist_decode.c: file-list entries decoded in bulk (upstream: flist.c recv_file_entry).
 *
 * The same bytes, checks and results as oc_wire's FlistDecoder.read_entry, the
 * reference: this loop takes the entries that make up nearly every list and stops
 * before the rest (the end of a list, a hard link copying an earlier entry of the same
 * list, anything invalid), so the reference handles those and names every error. An
 * entry is decoded against a copy of the running state, committed only when the whole
 * entry was there and valid: stopping or running out of bytes leaves the state as the
 * previous entry left it. Every length read is checked against the bytes given first. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "oc_core.h"
#include "flist.h"

/* extra bytes of a varint/varlong by its lead byte / 4 (upstream io.c int_byte_extra) */
static const uint8_t EXTRA[64] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 5, 6};

typedef struct { const uint8_t *p; size_t pos, len; } rd;

#define TRY(e) do { int rc_ = (e); if (rc_) return rc_; } while (0)

static uint64_t le(const uint8_t *b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static int need(const rd *r, size_t n) {
    return r->len - r->pos >= n ? OK : NEED;
}

static int get_byte(rd *r, uint32_t *v) {
    TRY(need(r, 1));
    *v = r->p[r->pos++];
    return OK;
}

static int get_int32(rd *r, int64_t *v) {
    TRY(need(r, 4));
    *v = (int32_t)(uint32_t)le(r->p + r->pos, 4);
    r->pos += 4;
    return OK;
}

static int get_varint(rd *r, int64_t *v) {
    TRY(need(r, 1));
    uint8_t ch = r->p[r->pos];
    int extra = EXTRA[ch >> 2];
    if (extra >= 5)
        return STOP;
    if (!extra) {
        *v = ch;
        r->pos++;
        return OK;
    }
    TRY(need(r, 1 + (size_t)extra));
    uint8_t b[8] = {0};
    memcpy(b, r->p + r->pos + 1, (size_t)extra);
    b[extra] = ch & ((1u << (8 - extra)) - 1);
    *v = (int32_t)(uint32_t)le(b, 4);
    r->pos += 1 + (size_t)extra;
    return OK;
}

static int get_varlong(rd *r, int min, int64_t *v) {
    TRY(need(r, (size_t)min));
    const uint8_t *head = r->p + r->pos;
    int extra = EXTRA[head[0] >> 2];
    if (min + extra > 9)
        return STOP;
    uint8_t b[16] = {0};
    memcpy(b, head + 1, (size_t)min - 1);
    if (extra) {
        TRY(need(r, (size_t)(min + extra)));
        memcpy(b + min - 1, head + min, (size_t)extra);
        b[min - 1 + extra] = head[0] & ((1u << (8 - extra)) - 1);
    } else {
        b[min - 1] = head[0];
    }
    *v = (int64_t)le(b, 8);
    r->pos += (size_t)(min + extra);
    return OK;
}

static int get_longint(rd *r, int64_t *v) {
    TRY(get_int32(r, v));
    if (*v != -1)
        return OK;
    TRY(need(r, 8));
    *v = (int64_t)le(r->p + r->pos, 8);
    r->pos += 8;
    return OK;
}

/* an int32 below protocol 30, a varint from 30 */
static int get_v30(rd *r, int protocol, int64_t *v) {
    return protocol >= 30 ? get_varint(r, v) : get_int32(r, v);
}

/* `len` bytes at the read position: their offset */
static int take(rd *r, size_t len, uint32_t *off) {
    TRY(need(r, len));
    *off = (uint32_t)r->pos;
    r->pos += len;
    return OK;
}

/* An owner name: a length byte, then that many bytes (left where they are). */
static int get_name(rd *r, uint32_t *len, uint32_t *off) {
    TRY(get_byte(r, len));
    return take(r, *len, off);
}

/* a name the reference refuses (or lets through only with absolute names) */
static int bad_name(const uint8_t *name, size_t n, int absolute) {
    if (!n || memchr(name, 0, n) || (name[0] == '/' && !absolute))
        return 1;
    for (size_t i = 0; i < n;) {  /* a ".." component */
        size_t j = i;
        while (j < n && name[j] != '/')
            j++;
        if (j - i == 2 && name[i] == '.' && name[i + 1] == '.')
            return 1;
        i = j + 1;
    }
    return 0;
}

static int entry(oc_flist_state *d, rd *r, oc_flist_rec *o, uint8_t *slot) {
    const uint32_t opts = d->opts;
    const int p = d->protocol, v30 = p >= 30;
    int64_t v;
    uint32_t x, b;
    memset(o, 0, sizeof *o);
    if (opts & OC_FL_VARINT) {
        TRY(get_varint(r, &v));
        if (v <= 0)  /* the end (or garbage): the reference's */
            return STOP;
        x = (uint32_t)v;
    } else {
        TRY(get_byte(r, &x));
        if (!x)
            return STOP;
        if (x & X_EXTENDED) {
            TRY(get_byte(r, &b));
            x |= b << 8;
            if (x == (X_EXTENDED | X_IO_ERROR_END) && (opts & OC_FL_SAFE))
                return STOP;
        }
    }
    if ((x & X_HLINKED && !(opts & OC_FL_HLINKS))
        || ((opts & OC_FL_VARINT) && x & X_CRTIME_EQ_MTIME && !(opts & OC_FL_CRTIMES))
        || ((opts & OC_FL_VARINT) && x & X_SAME_ATIME && !(opts & OC_FL_ATIMES))
        || d->count >= d->max_entries)
        return STOP;
    uint32_t l1 = 0;
    if (x & X_SAME_NAME)
        TRY(get_byte(r, &l1));
    if (l1 > d->name_len)
        return STOP;
    int64_t l2;
    if (x & X_LONG_NAME) {
        TRY(get_v30(r, p, &l2));
    } else {
        TRY(get_byte(r, &b));
        l2 = b;
    }
    if (l2 < 0 || l1 + l2 >= MAXPATH)
        return STOP;
    TRY(need(r, (size_t)l2));
    memcpy(slot, d->name, l1);
    memcpy(slot + l1, r->p + r->pos, (size_t)l2);
    r->pos += (size_t)l2;
    const size_t name_len = l1 + (size_t)l2;
    if (bad_name(slot, name_len, opts & OC_FL_ABSOLUTE))
        return STOP;
    int64_t first = -1;
    if (x & X_HLINKED && v30 && !(x & X_HLINK_FIRST)) {
        TRY(get_varint(r, &first));
        /* out of range, or a copy of an entry of this list: the reference's */
        if (first < 0 || first >= d->list_start)
            return STOP;
    }
    if (v30)
        TRY(get_varlong(r, 3, &o->size));
    else
        TRY(get_longint(r, &o->size));
    if (o->size < 0)
        return STOP;
    int64_t mtime = d->mtime;
    if (!(x & X_SAME_TIME)) {
        if (v30)
            TRY(get_varlong(r, 4, &mtime));
        else
            TRY(get_int32(r, &mtime));
    }
    o->mtime = mtime;
    if (x & X_MOD_NSEC) {
        TRY(get_varint(r, &v));
        o->nsec = (int32_t)v;
    }
    if (opts & OC_FL_CRTIMES) {
        if (x & X_CRTIME_EQ_MTIME)
            o->crtime = mtime;
        else
            TRY(get_varlong(r, 4, &o->crtime));
    }
    uint32_t mode = d->mode;
    if (!(x & X_SAME_MODE)) {
        TRY(get_int32(r, &v));
        mode = (uint32_t)v;
    }
    o->mode = mode;
    const uint32_t fmt = mode & IFMT;
    const int is_dir = fmt == IFDIR, is_dev = fmt == IFCHR || fmt == IFBLK;
    int top_dir = (x & X_TOP_DIR) && is_dir;
    if (v30 && x & X_NO_CONTENT_DIR) {
        o->bits |= OC_FR_NO_CONTENT;
        if (top_dir) {
            top_dir = 0;
            o->bits |= OC_FR_IMPLIED;
        }
    }
    if (top_dir)
        o->bits |= OC_FR_TOP_DIR;
    int64_t atime = d->atime;
    if ((opts & OC_FL_ATIMES) && !is_dir) {
        if (!(x & X_SAME_ATIME))
            TRY(get_varlong(r, 4, &atime));
        o->atime = atime;
    }
    int64_t uid = d->uid, gid = d->gid;
    if ((opts & OC_FL_UID) && !(x & X_SAME_UID)) {
        TRY(get_v30(r, p, &uid));
        if (v30 && x & X_USER_NAME) {
            TRY(get_name(r, &o->uname_len, &o->uname_off));
            o->bits |= OC_FR_UNAME;
        }
    }
    if ((opts & OC_FL_GID) && !(x & X_SAME_GID)) {
        TRY(get_v30(r, p, &gid));
        if (v30 && x & X_GROUP_NAME) {
            TRY(get_name(r, &o->gname_len, &o->gname_off));
            o->bits |= OC_FR_GNAME;
        }
    }
    o->uid = uid;
    o->gid = gid;
    int64_t rdev_major = d->rdev_major;
    if (((opts & OC_FL_DEVICES) && is_dev)
        || ((opts & OC_FL_SPECIALS) && p < 31 && (fmt == IFIFO || fmt == IFSOCK))) {
        int64_t minor;
        if (!(x & X_SAME_RDEV_MAJOR))
            TRY(get_v30(r, p, &rdev_major));
        if (v30) {
            TRY(get_varint(r, &minor));
        } else if (x & X_RDEV_MINOR_8_PRE30) {
            TRY(get_byte(r, &b));
            minor = b;
        } else {
            TRY(get_int32(r, &minor));
        }
        if (is_dev) {
            o->rdev_major = rdev_major;
            o->rdev_minor = minor;
        }
    }
    if (fmt == IFLNK && (opts & OC_FL_LINKS)) {
        TRY(get_v30(r, p, &v));
        if (v < 0 || v > MAXPATH)
            return STOP;
        o->link_len = (uint32_t)v;
        TRY(take(r, o->link_len, &o->link_off));
        o->bits |= OC_FR_LINK;
    }
    int64_t dev = d->dev;
    if (x & X_HLINKED) {
        if (!is_dir)
            o->bits |= OC_FR_HLINKED;
        if (v30) {
            if (!(x & X_HLINK_FIRST)) {
                o->bits |= OC_FR_FIRST;
                o->hlink_first = first;
            }
        } else {
            if (!(x & X_SAME_DEV_PRE30)) {
                TRY(get_longint(r, &dev));
                if (dev == INT64_MIN)  /* one less is past int64 */
                    return STOP;
                dev -= 1;
            }
            o->dev = dev;
            TRY(get_longint(r, &o->ino));
        }
    }
    if ((opts & OC_FL_CSUM) && fmt == IFREG) {
        TRY(take(r, d->checksum_len, &o->csum_off));
        o->bits |= OC_FR_CSUM;
    }
    /* the whole entry is there and valid: the running state moves on */
    d->mtime = mtime;
    d->atime = atime;
    d->mode = mode;
    d->uid = uid;
    d->gid = gid;
    d->rdev_major = rdev_major;
    d->dev = dev;
    memcpy(d->name, slot, name_len);
    d->name_len = (uint32_t)name_len;
    d->count++;
    d->current++;
    o->name_len = (uint32_t)name_len;
    return OK;
}

size_t oc_flist_decode(oc_flist_state *d, const uint8_t *buf, size_t len, size_t *used,
                       oc_flist_rec *out, size_t cap, uint8_t *arena, size_t arena_cap,
                       int *status) {
    rd r = {buf, 0, len > UINT32_MAX ? UINT32_MAX : len};
    size_t n = 0, arena_used = 0;
    *status = OC_FL_MORE;
    while (n < cap && arena_cap - arena_used >= MAXPATH) {
        size_t start = r.pos;
        int rc = entry(d, &r, &out[n], arena + arena_used);
        if (rc != OK) {
            r.pos = start;
            *status = rc == NEED ? OC_FL_NEED : OC_FL_STOP;
            break;
        }
        out[n].name_off = (uint32_t)arena_used;
        arena_used += out[n].name_len;
        n++;
    }
    *used = r.pos;
    return n;
}
