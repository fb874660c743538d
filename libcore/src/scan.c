/* scan.c: read directories in bulk (getdents64 + statx), packed records for Python.
 *
 * One oc_scan holds the results of one or more directories: an array of fixed-size
 * records and one buffer holding every name (and symlink target) back to back. Names are
 * raw bytes. Nothing is allocated per entry; the arrays grow by doubling. oc_scan_dirs
 * scans several directories at once on threads, each into its own oc_scan, so the
 * results do not depend on the thread count. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oc_core.h"

struct oc_scan {
    oc_scan_rec *recs;
    size_t count, cap;
    uint8_t *names;
    size_t names_len, names_cap;
};

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

oc_scan *oc_scan_new(void) { return calloc(1, sizeof(oc_scan)); }

void oc_scan_free(oc_scan *s)
{
    if (!s)
        return;
    free(s->recs);
    free(s->names);
    free(s);
}

void oc_scan_reset(oc_scan *s) { s->count = s->names_len = 0; }
size_t oc_scan_count(const oc_scan *s) { return s->count; }
const oc_scan_rec *oc_scan_recs(const oc_scan *s) { return s->recs; }
const uint8_t *oc_scan_names(const oc_scan *s) { return s->names; }
size_t oc_scan_names_len(const oc_scan *s) { return s->names_len; }

/* Append len bytes to the name buffer; returns their offset, or -1 without memory. */
static int64_t add_bytes(oc_scan *s, const char *p, size_t len)
{
    if (s->names_len + len > s->names_cap) {
        size_t cap = s->names_cap ? s->names_cap : 4096;
        while (cap < s->names_len + len)
            cap *= 2;
        uint8_t *n = realloc(s->names, cap);
        if (!n)
            return -1;
        s->names = n;
        s->names_cap = cap;
    }
    memcpy(s->names + s->names_len, p, len);
    s->names_len += len;
    return (int64_t)(s->names_len - len);
}

static oc_scan_rec *add_rec(oc_scan *s)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        oc_scan_rec *r = realloc(s->recs, cap * sizeof(*r));
        if (!r)
            return NULL;
        s->recs = r;
        s->cap = cap;
    }
    oc_scan_rec *r = &s->recs[s->count++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* Fill r from statx of name in dirfd; errno into r->err on failure. */
static void stat_entry(int dirfd, const char *name, int flags, oc_scan_rec *r)
{
    struct statx st;
    int at = AT_NO_AUTOMOUNT | ((flags & OC_SCAN_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW);
    unsigned mask = STATX_BASIC_STATS | STATX_BTIME;
    if (statx(dirfd, name, at, mask, &st) != 0) {
        r->err = errno;
        return;
    }
    r->mode = st.stx_mode;
    r->uid = st.stx_uid;
    r->gid = st.stx_gid;
    r->nlink = st.stx_nlink;
    r->size = (int64_t)st.stx_size;
    r->mtime = st.stx_mtime.tv_sec;
    r->mtime_nsec = st.stx_mtime.tv_nsec;
    r->atime = st.stx_atime.tv_sec;
    r->atime_nsec = st.stx_atime.tv_nsec;
    if (st.stx_mask & STATX_BTIME) {
        r->btime = st.stx_btime.tv_sec;
        r->btime_nsec = st.stx_btime.tv_nsec;
        r->flags |= OC_SCAN_HAS_BTIME;
    }
    r->dev_major = st.stx_dev_major;
    r->dev_minor = st.stx_dev_minor;
    r->ino = st.stx_ino;
    r->rdev_major = st.stx_rdev_major;
    r->rdev_minor = st.stx_rdev_minor;
}

/* Record the symlink target of name (the record must be a symlink). */
static int read_target(oc_scan *s, int dirfd, const char *name, oc_scan_rec *r)
{
    char buf[4096];
    ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
    if (n < 0) {
        r->err = errno;
        return 0;
    }
    int64_t off = add_bytes(s, buf, (size_t)n);
    if (off < 0)
        return -ENOMEM;
    r->link_off = (uint64_t)off;
    r->link_len = (uint32_t)n;
    r->flags |= OC_SCAN_HAS_TARGET;
    return 0;
}

int oc_scan_dir(oc_scan *s, int dirfd, const char *path, int flags)
{
    int follow = flags & (OC_SCAN_FOLLOW | OC_SCAN_OPEN_FOLLOW);
    int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return -errno;
    char *buf = malloc(1 << 16);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    int found = 0, rc = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, 1 << 16);
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
                continue;
            size_t len = strlen(name);
            int64_t noff = add_bytes(s, name, len);
            oc_scan_rec *r = noff < 0 ? NULL : add_rec(s);
            if (!r) {
                rc = -ENOMEM;
                goto out;
            }
            r->name_off = (uint64_t)noff;
            r->name_len = (uint32_t)len;
            stat_entry(fd, name, flags, r);
            if (!r->err && S_ISLNK(r->mode) && (flags & OC_SCAN_READ_LINKS)
                && (rc = read_target(s, fd, name, r)) < 0)
                goto out;
            found++;
        }
    }
out:
    free(buf);
    close(fd);
    return rc < 0 ? rc : found;
}

int oc_scan_path(oc_scan *s, int dirfd, const char *path, int flags)
{
    oc_scan_rec *r = add_rec(s);
    if (!r)
        return -ENOMEM;
    int64_t noff = add_bytes(s, path, strlen(path));
    if (noff < 0)
        return -ENOMEM;
    r->name_off = (uint64_t)noff;
    r->name_len = (uint32_t)strlen(path);
    stat_entry(dirfd, path, flags, r);
    if (!r->err && S_ISLNK(r->mode) && (flags & OC_SCAN_READ_LINKS))
        return read_target(s, dirfd, path, r);
    return r->err ? -r->err : 0;
}

struct job {
    oc_scan **outs;
    const char *const *paths;
    int *results;
    int n, flags, dirfd;
    int next;
    pthread_mutex_t lock;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->n)
            return NULL;
        j->results[i] = oc_scan_dir(j->outs[i], j->dirfd, j->paths[i], j->flags);
    }
}

int oc_scan_dirs(oc_scan **outs, const char *const *paths, int *results, int n, int dirfd,
                 int flags, int threads)
{
    struct job j = {outs, paths, results, n, flags, dirfd, 0, PTHREAD_MUTEX_INITIALIZER};
    if (threads > 16)
        threads = 16;
    if (threads <= 1 || n <= 1) {
        worker(&j);
        return 0;
    }
    pthread_t tid[16];
    int started = 0;
    for (; started < threads && started < n; started++)
        if (pthread_create(&tid[started], NULL, worker, &j) != 0)
            break;
    if (started == 0)
        worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
