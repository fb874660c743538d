/* same.c: comparing a source with what already stands in the destination, for oc-rsync's
 * in-process local copy: -c's byte comparison of two files, and which entries of a scanned
 * source directory are already identical in the destination directory, so that the
 * generator need not look at them (what it would decide for them is "nothing to do"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oc_core.h"

static int read_full(int fd, char *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (int)got;
}

/* 1 same bytes, 0 not, -errno. Small buffers: both stay in the L1 cache, which made the
 * comparison twice as fast as 256 KiB ones. */
static int fds_equal(int fa, int fb)
{
    enum { BUF = 1 << 14 };
    static __thread char x[BUF], y[BUF];
    for (;;) {
        int na = read_full(fa, x, BUF), nb = read_full(fb, y, BUF);
        if (na < 0 || nb < 0)
            return na < 0 ? na : nb;
        if (na != nb || memcmp(x, y, (size_t)na) != 0)
            return 0;
        if (na < BUF)
            return 1;
    }
}

int oc_files_equal(const char *a, int a_flags, const char *b, int64_t size)
{
    struct stat st;
    int rc;
    int fb = open(b, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fb < 0)
        return -errno;
    if (fstat(fb, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != size) {
        close(fb);
        return 0;
    }
    int fa = open(a, O_RDONLY | O_CLOEXEC | a_flags);
    if (fa < 0) {
        rc = -errno;
        close(fb);
        return rc;
    }
    rc = fds_equal(fa, fb);
    close(fa);
    close(fb);
    return rc;
}

typedef struct {
    int sfd, dfd;
    const oc_scan_rec *recs;
    const uint8_t *names;
    size_t n, same;
    size_t *next; /* the next entry to take, shared by the threads */
    int flags;
    uint8_t *out;
} same_job;

static int same_time(const struct stat *st, const oc_scan_rec *r)
{
    return st->st_mtim.tv_sec == r->mtime && st->st_mtim.tv_nsec == (long)r->mtime_nsec;
}

/* The source file's bytes (opened in the source directory, and still the file listed)
 * against the destination's. */
static int same_content(const same_job *j, const char *name, const oc_scan_rec *r)
{
    struct stat st;
    int rc = 0;
    int fa = openat(j->sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fa < 0)
        return 0;
    int fb = openat(j->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fb >= 0 && fstat(fa, &st) == 0 && (uint64_t)st.st_ino == r->ino
        && st.st_dev == makedev(r->dev_major, r->dev_minor))
        rc = fds_equal(fa, fb) == 1;
    if (fb >= 0)
        close(fb);
    close(fa);
    return rc;
}

static int same_one(const same_job *j, const oc_scan_rec *r)
{
    char name[256], target[4096];
    struct stat st;
    int lnk = S_ISLNK(r->mode);
    if (r->err || r->name_len == 0 || r->name_len >= sizeof name)
        return 0;
    if (!S_ISREG(r->mode) && !(lnk && (j->flags & OC_SAME_LINKS)))
        return 0;
    memcpy(name, j->names + r->name_off, r->name_len);
    name[r->name_len] = 0;
    if (fstatat(j->dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0
        || (st.st_mode & S_IFMT) != (r->mode & S_IFMT)
        || ((j->flags & OC_SAME_OWNER) && st.st_uid != r->uid)
        || ((j->flags & OC_SAME_GROUP) && st.st_gid != r->gid))
        return 0;
    if (lnk) {
        if (((j->flags & OC_SAME_LINK_TIMES) && !same_time(&st, r))
            || !(r->flags & OC_SCAN_HAS_TARGET) || st.st_size != (off_t)r->link_len
            || r->link_len >= sizeof target)
            return 0;
        ssize_t k = readlinkat(j->dfd, name, target, sizeof target);
        return k == (ssize_t)r->link_len && memcmp(target, j->names + r->link_off, (size_t)k) == 0;
    }
    if (st.st_size != r->size || !same_time(&st, r)
        || ((j->flags & OC_SAME_PERMS) && (st.st_mode & 07777) != (r->mode & 07777)))
        return 0;
    return (j->flags & OC_SAME_CONTENT) ? same_content(j, name, r) : 1;
}

/* Whether directory fd holds nothing but "." and ".." (one made in this run: no name in it
 * to look up). */
static int is_empty_dir(int fd)
{
    char buf[1024];
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0)
        return 0;
    for (long off = 0; off < n;) {
        /* struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name */
        const char *name = buf + off + 19;
        unsigned short reclen;
        memcpy(&reclen, buf + off + 16, sizeof reclen);
        if (!(name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))))
            return 0;
        off += reclen;
    }
    return 1;
}

/* Each thread takes the next entry not yet taken: files of very different sizes keep both
 * busy to the end (every other entry left one thread idle while the other read a large
 * file). */
static void *same_run(void *arg)
{
    same_job *j = arg;
    for (size_t i; (i = __atomic_fetch_add(j->next, 1, __ATOMIC_RELAXED)) < j->n;)
        j->same += (j->out[i] = (uint8_t)same_one(j, &j->recs[i]));
    return NULL;
}

int oc_same_entries(const char *src_dir, const char *dst_dir, const oc_scan_rec *recs,
                    size_t n, const uint8_t *names, int flags, uint8_t *out)
{
    int rc;
    memset(out, 0, n);
    int dfd = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (is_empty_dir(dfd)) {
        close(dfd);
        return 0;
    }
    int sfd = -1;
    if ((flags & OC_SAME_CONTENT) && (sfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = -errno;
        close(dfd);
        return rc;
    }
    size_t next = 0;
    same_job a = {sfd, dfd, recs, names, n, 0, &next, flags, out}, b = a;
    pthread_t helper;
    /* reading contents: a second thread shares the entries */
    int two = (flags & OC_SAME_CONTENT) && n >= 8
              && pthread_create(&helper, NULL, same_run, &b) == 0;
    same_run(&a);
    if (two)
        pthread_join(helper, NULL);
    if (sfd >= 0)
        close(sfd);
    close(dfd);
    return (int)(a.same + (two ? b.same : 0));
}
