/* mapped.c: reading a file through a shared read-only mapping without the copy read(2)
 * makes, and without the danger that usually comes with it: a page past the end of a file
 * that shrank after it was mapped raises SIGBUS when touched, which would kill the process.
 *
 * Every mapping made here is listed in a small table. A SIGBUS handler installed with the
 * first mapping looks the faulting address up there: inside one of ours, it maps a page of
 * zeros over the missing one, marks the mapping as having hit the end, and returns, so the
 * instruction that faulted (in our C, in a hash library, in Python's memcpy) reads zeros
 * and goes on. That is what upstream's map_ptr gives for bytes it cannot read (zeros, and
 * an error remembered). Any other SIGBUS puts back whatever was there before (the default
 * action, or faulthandler's) and faults again under it.
 *
 * A file that shrinks to the middle of a page reads zeros past its end without a fault, so
 * the callers also compare the size with fstat when they are done (oc_map_shrank). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oc_core.h"

enum { SLOTS = 64 };

/* A slot is in use while lo != 0; hi is written before lo and cleared after it, so the
 * handler never sees a range that is half made or half taken down. */
static struct {
    _Atomic uintptr_t lo, hi;
    atomic_int hit;
} slots[SLOTS];
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction before;
static int installed;
static uintptr_t page_mask;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    int saved = errno;
    uintptr_t at = (uintptr_t)si->si_addr;
    if (si->si_code == BUS_ADRERR) {
        for (int i = 0; i < SLOTS; i++) {
            uintptr_t lo = atomic_load(&slots[i].lo);
            if (lo == 0 || at < lo || at >= atomic_load(&slots[i].hi))
                continue;
            void *page = (void *)(at & page_mask);
            if (mmap(page, ~page_mask + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                     -1, 0) == MAP_FAILED)
                break;
            atomic_store(&slots[i].hit, 1);
            errno = saved;
            return;
        }
    }
    sigaction(sig, &before, NULL); /* not ours: fault again as if we were never here */
    errno = saved;
}

static int install(void)
{
    struct sigaction sa;
    if (installed)
        return 0;
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &before) < 0)
        return -errno;
    installed = 1;
    return 0;
}

int oc_map_open(oc_map *m, int fd, int64_t size)
{
    memset(m, 0, sizeof *m);
    m->slot = -1;
    if (size <= 0)
        return 0;
    if ((uint64_t)size > SIZE_MAX)
        return -EFBIG;
    pthread_mutex_lock(&slots_mu);
    int rc = install(), slot = -1;
    for (int i = 0; rc == 0 && i < SLOTS && slot < 0; i++)
        if (atomic_load(&slots[i].lo) == 0)
            slot = i;
    if (rc == 0 && slot < 0)
        rc = -EMFILE;
    void *p = MAP_FAILED;
    if (rc == 0 && (p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
        rc = -errno;
    if (rc == 0) {
        atomic_store(&slots[slot].hit, 0);
        atomic_store(&slots[slot].hi, (uintptr_t)p + (size_t)size);
        atomic_store(&slots[slot].lo, (uintptr_t)p);
        m->p = p;
        m->size = size;
        m->slot = slot;
    }
    pthread_mutex_unlock(&slots_mu);
    return rc;
}

int oc_map_hit(const oc_map *m)
{
    return m->slot >= 0 && atomic_load(&slots[m->slot].hit);
}

int oc_map_shrank(const oc_map *m, int fd)
{
    struct stat st;
    return oc_map_hit(m) || fstat(fd, &st) < 0 || st.st_size < m->size;
}

int oc_map_advise(const oc_map *m, int64_t off, int64_t len, int how)
{
    if (!m->p || off >= m->size || len <= 0)
        return 0;
    uintptr_t from = ((uintptr_t)m->p + (uintptr_t)off) & page_mask;
    uintptr_t to = (uintptr_t)m->p + (uintptr_t)(off + len < m->size ? off + len : m->size);
    int advice = how == OC_MAP_DROP ? MADV_DONTNEED : how == OC_MAP_SEQUENTIAL
                 ? MADV_SEQUENTIAL : MADV_WILLNEED;
    if (how == OC_MAP_DROP) /* (whole pages only: the last one may still be needed) */
        to &= page_mask;
    if (to <= from)
        return 0;
    return madvise((void *)from, to - from, advice) < 0 ? -errno : 0;
}

int oc_map_close(oc_map *m)
{
    int hit = oc_map_hit(m);
    if (m->p) {
        pthread_mutex_lock(&slots_mu);
        atomic_store(&slots[m->slot].lo, 0);
        atomic_store(&slots[m->slot].hi, 0);
        munmap((void *)m->p, (size_t)m->size);
        pthread_mutex_unlock(&slots_mu);
    }
    memset(m, 0, sizeof *m);
    m->slot = -1;
    return hit;
}
