/* listing.c: rsync's --list-only lines for scanned entries (upstream: generator.c
 * list_file_entry, lib/permstring.c, util2.c do_big_num, util1.c timestring, log.c
 * filtered_fwrite), so a big listing costs no Python per entry. The Python reference is
 * oc_flist/listing.py; tests compare both with upstream's output. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "oc_core.h"

static const oc_scan_rec *g_recs; /* qsort context (set under the GIL, one call at a time) */
static const uint8_t *g_names;

/* Files before directories; a directory compares as if its name ended in '/'. */
static int cmp_entry(const void *a, const void *b)
{
    const oc_scan_rec *x = &g_recs[*(const uint32_t *)a], *y = &g_recs[*(const uint32_t *)b];
    int dx = S_ISDIR(x->mode) != 0, dy = S_ISDIR(y->mode) != 0;
    if (dx != dy)
        return dx - dy;
    const uint8_t *p = g_names + x->name_off, *q = g_names + y->name_off;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(p, q, n);
    if (c)
        return c;
    if (x->name_len == y->name_len)
        return 0;
    /* one name is a prefix of the other: the next byte is '/' for a dir, end otherwise */
    int cx = x->name_len > n ? p[n] : (dx ? '/' : -1);
    int cy = y->name_len > n ? q[n] : (dy ? '/' : -1);
    return cx - cy;
}

int oc_scan_order(const oc_scan *s, uint32_t *out)
{
    size_t n = oc_scan_count(s);
    int files = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint32_t)i;
        files += !S_ISDIR(oc_scan_recs(s)[i].mode);
    }
    if (n < 2)
        return files;
    g_recs = oc_scan_recs(s);
    g_names = oc_scan_names(s);
    qsort(out, n, sizeof *out, cmp_entry);
    return files;
}

static char *permstring(char *p, uint32_t mode)
{
    static const char map[] = "rwxrwxrwx";
    memcpy(p, "----------", 10);
    for (int i = 0; i < 9; i++)
        if (mode & (1u << i))
            p[9 - i] = map[8 - i];
    if (mode & S_ISUID)
        p[3] = (mode & S_IXUSR) ? 's' : 'S';
    if (mode & S_ISGID)
        p[6] = (mode & S_IXGRP) ? 's' : 'S';
    if (mode & S_ISVTX)
        p[9] = (mode & S_IXOTH) ? 't' : 'T';
    p[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISBLK(mode) ? 'b'
         : S_ISCHR(mode) ? 'c' : S_ISSOCK(mode) ? 's' : S_ISFIFO(mode) ? 'p' : '-';
    return p + 10;
}

/* do_big_num: human 0 plain, 1 with ',' every three digits, 2/3 units of 1000/1024. */
static int big_num(char *buf, int64_t num, int human)
{
    if (human > 1) {
        int mult = human == 2 ? 1000 : 1024;
        if (num >= mult || num <= -mult) {
            double d = (double)(num < 0 ? -num : num) / mult;
            const char *units = "KMGTP";
            while (d >= mult && units[1]) {
                d /= mult;
                units++;
            }
            return sprintf(buf, "%.2f%c", num < 0 ? -d : d, *units);
        }
    }
    char tmp[32];
    int len = sprintf(tmp, "%lld", (long long)(num < 0 ? -num : num));
    int o = 0;
    if (num < 0)
        buf[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (human && i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return o;
}

static int timestring(char *buf, int64_t t)
{
    static int64_t last = INT64_MIN;
    static char cached[24];
    if (t != last) {
        time_t tt = (time_t)t;
        struct tm tm;
        if (!localtime_r(&tt, &tm))
            strcpy(cached, "(time out of range)");
        else
            snprintf(cached, sizeof cached, "%4d/%02d/%02d %02d:%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last = t;
    }
    size_t n = strlen(cached);
    memcpy(buf, cached, n);
    return (int)n;
}

/* filtered_fwrite's escaping; returns bytes written (at most 5 per input byte). */
static size_t escape(uint8_t *o, const uint8_t *p, size_t n, int allow8)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        int bs = c == '\\' && i + 4 < n && p[i + 1] == '#' && p[i + 2] >= '0' && p[i + 2] <= '9'
                 && p[i + 3] >= '0' && p[i + 3] <= '9' && p[i + 4] >= '0' && p[i + 4] <= '9';
        if (bs || (c != '\t' && (c < 0x20 || (!allow8 && c > 0x7e)))) {
            o[k++] = '\\';
            o[k++] = '#';
            o[k++] = (uint8_t)('0' + (c >> 6));
            o[k++] = (uint8_t)('0' + ((c >> 3) & 7));
            o[k++] = (uint8_t)('0' + (c & 7));
        } else
            o[k++] = c;
    }
    return k;
}

size_t oc_scan_errors(const oc_scan *s)
{
    size_t bad = 0;
    for (size_t i = 0; i < oc_scan_count(s); i++)
        bad += oc_scan_recs(s)[i].err != 0;
    return bad;
}

int64_t oc_scan_format(const oc_scan *s, const uint32_t *idx, size_t n, const uint8_t *prefix,
                       size_t plen, int human, int links, int allow8, uint8_t *out, size_t cap)
{
    const oc_scan_rec *recs = oc_scan_recs(s);
    const uint8_t *names = oc_scan_names(s);
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        const oc_scan_rec *r = &recs[idx[i]];
        need += 80 + 5 * (plen + 1 + r->name_len) + (links ? 4 + 5 * r->link_len : 0);
    }
    if (need > cap)
        return -(int64_t)need;
    uint8_t *o = out;
    int width = human ? 14 : 11;
    for (size_t i = 0; i < n; i++) {
        const oc_scan_rec *r = &recs[idx[i]];
        char num[48];
        o = (uint8_t *)permstring((char *)o, r->mode);
        int64_t size = (S_ISCHR(r->mode) || S_ISBLK(r->mode) || S_ISFIFO(r->mode)
                        || S_ISSOCK(r->mode)) ? 0 : r->size;
        int len = big_num(num, size, human);
        *o++ = ' ';
        for (int pad = width - len; pad > 0; pad--)
            *o++ = ' ';
        memcpy(o, num, (size_t)len);
        o += len;
        *o++ = ' ';
        o += timestring((char *)o, r->mtime);
        *o++ = ' ';
        if (plen) {
            o += escape(o, prefix, plen, allow8);
            *o++ = '/';
        }
        o += escape(o, names + r->name_off, r->name_len, allow8);
        if (links && S_ISLNK(r->mode) && (r->flags & OC_SCAN_HAS_TARGET)) {
            memcpy(o, " -> ", 4);
            o += 4;
            o += escape(o, names + r->link_off, r->link_len, allow8);
        }
        *o++ = '\n';
    }
    return (int64_t)(o - out);
}
