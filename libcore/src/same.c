/* same.c: comparing a source with what already stands in the destination, for oc-rsync's
 * in-process local copy: -c's byte comparison of two files, and which entries of a scanned
 * source directory are already identical in the destination directory, so that the
 * generator need not look at them (what it would decide for them is "nothing to do"). */
#define _GNU_SOURCE
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

/* Reads until want bytes, the end of the file or an error; with `last`, a short read is
 * taken as the end (for a regular file it is, and taking it wrongly can only make two
 * files look different). */
static int read_full(int fd, char *buf, size_t want, int last)
{
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)n;
        if (n == 0 || last)
            break;
    }
    return (int)got;
}

/* 1 when both files hold the same `size` bytes and end there, 0 not, -errno. The last read
 * asks for one byte more than is left: coming back short it also shows the end of the
 * file, without a read that returns nothing. Small buffers: both stay in the L1 cache,
 * which made the comparison twice as fast as 256 KiB ones. */
static int fds_equal(int fa, int fb, int64_t size)
{
    enum { BUF = 1 << 14 };
    static __thread char x[BUF], y[BUF];
    for (int64_t left = size;; left -= BUF) {
        int last = left < BUF;
        size_t want = last ? (size_t)left + 1 : BUF;
        int na = read_full(fa, x, want, last), nb = read_full(fb, y, want, last);
        if (na < 0 || nb < 0)
            return na < 0 ? na : nb;
        if (last)
            return na == left && nb == left && memcmp(x, y, (size_t)left) == 0;
        if (na != BUF || nb != BUF || memcmp(x, y, BUF) != 0)
            return 0;
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
    rc = fds_equal(fa, fb, size);
    close(fa);
    close(fb);
    return rc;
}

typedef struct same_pool same_pool;

/* One directory's check: its own copy of the scanned records and names, so the caller's
 * buffers may go while the workers read it. */
struct oc_same_check {
    struct oc_same_check *next_check; /* queued behind this one */
    int sfd, dfd;
    oc_scan_rec *recs;
    uint8_t *names;
    size_t n, taken, finished, same;
    int flags, rc;
    uint8_t *out;
    same_pool *pool; /* the pool it was queued in */
};

static int same_time(const struct stat *st, const oc_scan_rec *r)
{
    return st->st_mtim.tv_sec == r->mtime && st->st_mtim.tv_nsec == (long)r->mtime_nsec;
}

/* The source file's bytes (opened in the source directory, and still the file listed)
 * against the destination's. */
static int same_content(const oc_same_check *j, const char *name, const oc_scan_rec *r)
{
    struct stat st;
    int rc = 0;
    int fa = openat(j->sfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fa < 0)
        return 0;
    int fb = openat(j->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fb >= 0 && fstat(fa, &st) == 0 && (uint64_t)st.st_ino == r->ino
        && st.st_dev == makedev(r->dev_major, r->dev_minor))
        rc = fds_equal(fa, fb, r->size) == 1;
    if (fb >= 0)
        close(fb);
    close(fa);
    return rc;
}

static int same_one(const oc_same_check *j, const oc_scan_rec *r)
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
    /* a destination file linked elsewhere while its source is not: a change made to it
     * under another name (its attributes, or its bytes with --inplace) would go unseen */
    if (st.st_nlink > 1 && r->nlink == 1)
        return 0;
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

/* The workers: a process-wide pair of threads taking the entries of the queued checks in
 * order, one entry at a time, so a check started ahead (the next directory) is worked on
 * as soon as the current one has no entry left to take: neither thread waits for the
 * other at the end of each directory, nor is a thread started for each. Made on first
 * use, and again in a forked child (which has none of its parent's threads). */
enum { SAME_WORKERS = 2 };
struct same_pool {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    oc_same_check *head, *tail; /* checks with entries not yet taken */
    pid_t pid;
};

static void *same_worker(void *arg)
{
    same_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head)
            pthread_cond_wait(&p->work, &p->mu);
        oc_same_check *j = p->head;
        size_t i = j->taken++;
        if (j->taken == j->n && !(p->head = j->next_check))
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        int same = same_one(j, &j->recs[i]);
        j->out[i] = (uint8_t)same;
        pthread_mutex_lock(&p->mu);
        j->same += (size_t)same;
        if (++j->finished == j->n)
            pthread_cond_broadcast(&p->done);
    }
    return NULL;
}

static same_pool *the_pool(void)
{
    static pthread_mutex_t made = PTHREAD_MUTEX_INITIALIZER;
    static same_pool *pool;
    pid_t me = getpid();
    pthread_mutex_lock(&made);
    if (!pool || pool->pid != me) { /* (a parent's pool stays where it was, unused) */
        same_pool *p = calloc(1, sizeof *p);
        int started = 0;
        if (p) {
            pthread_mutex_init(&p->mu, NULL);
            pthread_cond_init(&p->work, NULL);
            pthread_cond_init(&p->done, NULL);
            p->pid = me;
            for (int k = 0; k < SAME_WORKERS; k++) {
                pthread_t t;
                if (pthread_create(&t, NULL, same_worker, p) == 0) {
                    pthread_detach(t);
                    started++;
                }
            }
        }
        if (started)
            pool = p;
        else
            free(p); /* (never used: no worker took it) */
    }
    pthread_mutex_unlock(&made);
    return pool;
}

static void close_dirs(oc_same_check *j)
{
    if (j->sfd >= 0)
        close(j->sfd);
    if (j->dfd >= 0)
        close(j->dfd);
    j->sfd = j->dfd = -1;
}

void oc_same_free(oc_same_check *j)
{
    if (!j)
        return;
    oc_same_wait(j);
    free(j->recs);
    free(j->names);
    free(j->out);
    free(j);
}

oc_same_check *oc_same_start(const char *src_dir, const char *dst_dir,
                             const oc_scan_rec *recs, size_t n, const uint8_t *names,
                             size_t names_len, int flags)
{
    oc_same_check *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->sfd = j->dfd = -1;
    j->flags = flags;
    j->out = calloc(n ? n : 1, 1);
    if (!j->out) {
        free(j);
        return NULL;
    }
    j->n = n; /* nothing is queued unless every step below succeeds: then none is taken */
    j->taken = j->finished = n;
    if (!n)
        return j;
    if ((j->dfd = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        j->rc = -errno;
        return j;
    }
    if (is_empty_dir(j->dfd))
        return j;
    if ((flags & OC_SAME_CONTENT)
        && (j->sfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        j->rc = -errno;
        return j;
    }
    same_pool *p = the_pool();
    j->recs = malloc(n * sizeof *recs);
    j->names = malloc(names_len ? names_len : 1);
    if (!p || !j->recs || !j->names) {
        j->rc = -ENOMEM;
        return j;
    }
    memcpy(j->recs, recs, n * sizeof *recs);
    memcpy(j->names, names, names_len);
    pthread_mutex_lock(&p->mu);
    j->taken = j->finished = 0;
    j->pool = p;
    if (p->tail)
        p->tail->next_check = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    return j;
}

int oc_same_wait(oc_same_check *j)
{
    same_pool *p = j->pool;
    if (p) { /* (queued) */
        pthread_mutex_lock(&p->mu);
        while (j->finished < j->n)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    close_dirs(j);
    return j->rc < 0 ? j->rc : (int)j->same;
}

const uint8_t *oc_same_marks(const oc_same_check *j)
{
    return j->out;
}
