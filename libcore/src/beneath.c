/* beneath.c: opening a path below a directory without leaving it (openat2 with
 * RESOLVE_BENEATH): symlinks on the way are followed while they stay below the
 * directory; an absolute one, or a ".." that climbs out, is refused with EXDEV. The
 * receiver reaches its destination's directories this way, as upstream's confined
 * resolver does, so an in-tree symlink still leads where it points but a directory
 * swapped for a symlink out of the tree cannot take a write outside. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oc_core.h"

int oc_open_beneath(int dirfd, const char *path, int flags)
{
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd;
    do
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return fd < 0 ? -errno : (int)fd;
#else
    (void)dirfd; (void)path; (void)flags;
    return -ENOSYS;
#endif
}
