/* flist.h: what flist_decode.c and flist_encode.c share: the entry flags (upstream:
 * rsync.h XMIT_*), the file types they test and the status of one entry's work. */
#ifndef OC_FLIST_H
#define OC_FLIST_H

enum {
    X_TOP_DIR = 1u << 0, X_SAME_MODE = 1u << 1, X_EXTENDED = 1u << 2, X_SAME_UID = 1u << 3,
    X_SAME_GID = 1u << 4, X_SAME_NAME = 1u << 5, X_LONG_NAME = 1u << 6,
    X_SAME_TIME = 1u << 7, X_SAME_RDEV_MAJOR = 1u << 8, X_NO_CONTENT_DIR = 1u << 8,
    X_HLINKED = 1u << 9, X_SAME_DEV_PRE30 = 1u << 10, X_USER_NAME = 1u << 10,
    X_RDEV_MINOR_8_PRE30 = 1u << 11, X_GROUP_NAME = 1u << 11, X_HLINK_FIRST = 1u << 12,
    X_IO_ERROR_END = 1u << 12, X_MOD_NSEC = 1u << 13, X_SAME_ATIME = 1u << 14,
    X_CRTIME_EQ_MTIME = 1u << 17,
};
enum { OK = 0, NEED = 1, STOP = 2 };
enum { MAXPATH = 4096 };
#define IFMT 0170000u
#define IFDIR 0040000u
#define IFREG 0100000u
#define IFLNK 0120000u
#define IFCHR 0020000u
#define IFBLK 0060000u
#define IFIFO 0010000u
#define IFSOCK 0140000u

#endif
