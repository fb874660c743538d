/* copy.c: one whole file copied locally and installed under its final name (oc-rsync's
 * in-process local copy; upstream's receiver does the same steps with the data coming
 * over a pipe: receiver.c get_tmpname/recv_files, rsync.c set_file_attrs, finish_transfer).
 * All the system calls for one file happen here, outside the Python interpreter's lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oc_core.h"

#define CHUNK ((size_t)8 << 20)

/* Copies what the source holds up to `size` bytes (its length when opened: a file that
 * grows meanwhile is sent as long as it was, as upstream's sender does); with write_back,
 * each CHUNK copied starts going to the device (oc_start_writeback). Returns 0, or -errno
 * with *read_side set when reading failed or the file ended before `size` (-ENODATA: it
 * shrank while copied). */
static int copy_data(int in, int out, int64_t size, volatile int *stop, int *read_side,
                     int write_back)
{
    ssize_t n;
    int kernel = 1;
    int64_t left = size;
    static __thread char buf[1 << 16];
    *read_side = 0;
    for (;;) {
        if (stop && *stop)
            return -EINTR;
        if (left == 0)
            return 0;
        size_t want = (uint64_t)left < CHUNK ? (size_t)left : CHUNK;
        if (kernel) {
            n = copy_file_range(in, NULL, out, NULL, want, 0);
            if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS
                          || errno == EOPNOTSUPP)) {
                kernel = 0; /* (nothing was copied by the failing call) */
                continue;
            }
        } else {
            n = read(in, buf, want < sizeof buf ? want : sizeof buf);
            if (n < 0 && errno != EINTR) {
                *read_side = 1;
                return -errno;
            }
            for (ssize_t done = 0; n > 0 && done < n;) {
                ssize_t w = write(out, buf + done, (size_t)(n - done));
                if (w < 0) {
                    if (errno == EINTR)
                        continue;
                    return -errno;
                }
                done += w;
            }
        }
        if (n == 0) {
            *read_side = 1;
            return -ENODATA;
        }
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0) {
            int64_t before = left;
            left -= n;
            if (write_back && (before - 1) / (int64_t)CHUNK != (left - 1) / (int64_t)CHUNK)
                oc_start_writeback(out);
        }
    }
}

static int set_attrs(int fd, const oc_copy_job *j)
{
    if ((j->set & (OC_SET_OWNER | OC_SET_GROUP))
        && fchown(fd, (j->set & OC_SET_OWNER) ? (uid_t)j->uid : (uid_t)-1,
                  (j->set & OC_SET_GROUP) ? (gid_t)j->gid : (gid_t)-1) < 0)
        return -errno;
    if ((j->set & OC_SET_MODE) && fchmod(fd, (mode_t)j->mode) < 0)
        return -errno;
    if (j->set & OC_SET_MTIME) {
        struct timespec ts[2] = {{0, UTIME_OMIT}, {(time_t)j->mtime_sec, (long)j->mtime_nsec}};
        if (futimens(fd, ts) < 0)
            return -errno;
    }
    return 0;
}

int oc_copy_install(const oc_copy_job *j, int *stage)
{
    struct stat st;
    int rc;
    int in = open(j->src, O_RDONLY | O_CLOEXEC | j->src_flags);
    *stage = OC_STAGE_OPEN;
    if (in < 0)
        return -errno;
    if (fstat(in, &st) < 0) {
        rc = -errno;
        close(in);
        return rc;
    }
    if (j->ino && ((uint64_t)st.st_ino != j->ino || (uint64_t)st.st_dev != j->dev)) {
        close(in);
        return -ELOOP;
    }
    *stage = OC_STAGE_TEMP;
    int out = open(j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        rc = -errno;
        close(in);
        return rc;
    }
    *stage = OC_STAGE_WRITE;
    int read_side;
    struct stat old; /* a big file that will replace one: see oc_start_writeback */
    int write_back = st.st_size >= (off_t)CHUNK
                     && fstatat(AT_FDCWD, j->dst, &old, AT_SYMLINK_NOFOLLOW) == 0;
    rc = copy_data(in, out, (int64_t)st.st_size, j->stop, &read_side, write_back);
    if (rc < 0 && read_side)
        *stage = OC_STAGE_READ;
    close(in);
    if (rc == 0)
        rc = set_attrs(out, j);
    if (close(out) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0) {
        *stage = OC_STAGE_RENAME;
        if (rename(j->tmp, j->dst) < 0)
            rc = -errno;
    }
    if (rc < 0)
        unlink(j->tmp);
    return rc;
}

int oc_install_temp(int fd, int tmp_dir, const char *tmp, int dst_dir, const char *dst,
                    int set, uint32_t uid, uint32_t gid, uint32_t mode, int64_t mtime_sec,
                    int64_t mtime_nsec, int *stage)
{
    oc_copy_job j = {.set = set, .uid = uid, .gid = gid, .mode = mode,
                     .mtime_sec = mtime_sec, .mtime_nsec = mtime_nsec};
    *stage = OC_STAGE_WRITE;
    int rc = set_attrs(fd, &j);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0) {
        *stage = OC_STAGE_RENAME;
        if (renameat(tmp_dir, tmp, dst_dir, dst) < 0)
            rc = -errno;
    }
    return rc;
}

int oc_start_writeback(int fd)
{
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0 ? -errno : 0;
}

int oc_preallocate(int fd, int64_t length, int keep_size)
{
    return fallocate(fd, keep_size ? FALLOC_FL_KEEP_SIZE : 0, 0, (off_t)length) < 0 ? -errno : 0;
}

int oc_punch_hole(int fd, int64_t offset, int64_t length)
{
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
                     (off_t)length) < 0 ? -errno : 0;
}
