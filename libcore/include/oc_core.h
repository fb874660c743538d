/* oc_core.h: the whole C API of libcore, fed verbatim to cffi's cdef.
 * Declarations only: no includes, no macros with bodies. */

/* Strong checksum algorithms (numbering is ours; names map in oc_core.Checksum). */
enum { OC_CSUM_NONE = 0, OC_CSUM_MD4 = 1, OC_CSUM_MD5 = 2, OC_CSUM_SHA1 = 3,
       OC_CSUM_XXH64 = 4, OC_CSUM_XXH3 = 5, OC_CSUM_XXH128 = 6 };

int oc_core_abi_version(void);
int oc_simd_level(void);               /* 2 when AVX2 is in use (rolling sum, XXH3), 0 not */
void oc_force_scalar(int on);          /* tests: compare the scalar path with the AVX2 one */

/* upstream checksum.c get_checksum1: signed-char bytes, (s1 & 0xffff) | (s2 << 16) */
uint32_t oc_rolling_checksum(const uint8_t *buf, size_t len);
/* sum1 of every block of block_len bytes (the last may be short); out has ceil(len/block_len) */
void oc_block_sums(const uint8_t *buf, size_t len, uint32_t block_len, uint32_t *out);

/* upstream checksum.c get_checksum2 with the seed placed as described in oc_core/__init__.py.
 * seed_mode: 0 no seed, 1 seed bytes after the data, 2 seed bytes before, 3 hash seed (xxh).
 * Returns the digest length written to out (up to 20), or -1 for an unknown algorithm. */
int oc_strong_sum(int algo, const uint8_t *buf, size_t len, uint32_t seed, int seed_mode,
                  uint8_t *out);
/* The first s2len bytes of every block's strong sum, concatenated into out. */
void oc_block_strong_sums(int algo, const uint8_t *buf, size_t len, uint32_t block_len,
                          uint32_t seed, int seed_mode, int32_t s2len, uint8_t *out);
/* The generator's wire records for every block of buf: int32 sum1 (LE) + s2len strong
 * bytes each; returns the bytes written (blocks * (4 + s2len)). */
size_t oc_sig_records(int algo, const uint8_t *buf, size_t len, uint32_t block_len,
                      uint32_t seed, int seed_mode, int32_t s2len, uint8_t *out);
/* MD4, MD5 and SHA1 over a stream (digest.c): init returns -1 for another algorithm,
 * final writes the digest (16 or 20 bytes) and returns its length. */
typedef struct { uint32_t st[5]; uint64_t total; uint8_t buf[64]; size_t used; int algo; }
    oc_digest_ctx;
int oc_digest_init(oc_digest_ctx *c, int algo);
void oc_digest_update(oc_digest_ctx *c, const uint8_t *p, size_t len);
int oc_digest_final(oc_digest_ctx *c, uint8_t *out);
/* The digest of pre + buf + post (a seed's bytes around the data) in one call. */
int oc_digest(int algo, const uint8_t *pre, size_t pre_len, const uint8_t *buf, size_t len,
              const uint8_t *post, size_t post_len, uint8_t *out);
void oc_md4(const uint8_t *buf, size_t len, uint8_t *out16);

/* Block matcher: upstream match.c hash_search over a whole-file buffer.
 * Each record is one call of upstream's matched(): `lit_len` literal bytes starting at
 * `lit_offset`, then token: >= 0 block index matched, -2 literal flush only, -1 end. */
typedef struct { int64_t lit_offset; int32_t lit_len; int32_t token; } oc_match_rec;
typedef struct oc_matcher oc_matcher;
oc_matcher *oc_matcher_new(const uint32_t *sum1, const uint8_t *sum2, int32_t count,
                           int32_t blength, int32_t remainder, int32_t s2len,
                           int algo, uint32_t seed, int seed_mode);
void oc_matcher_free(oc_matcher *m);
/* In-place mode (upstream: updating_basis_file): the receiver overwrites its basis as it
 * goes, so a block before the current offset is usable only where it already sits at that
 * very offset. Returns 0, or -1 when out of memory. */
int oc_matcher_inplace(oc_matcher *m);
/* Runs over a file of len bytes of which window[0..avail-base) holds offsets base..avail,
 * until out is full, the file ends or the next step needs bytes at or past avail (see
 * oc_matcher_need). Returns the number of records written (0 when the window does not
 * reach from the low water to the need); *done is set to 1 after the final (-1) record. */
int oc_matcher_run(oc_matcher *m, const uint8_t *window, int64_t base, int64_t avail,
                   int64_t len, oc_match_rec *out, int cap, int *done);
/* The file offset the window must reach (exclusive) for the next step; len at the end. */
int64_t oc_matcher_need(const oc_matcher *m);
/* Lowest file offset the matcher may still read (bytes below it can be dropped). */
int64_t oc_matcher_low_water(const oc_matcher *m);
/* upstream match_report's counters so far: matches, hash_hits (offsets whose bucket was
 * not empty), false_alarms (a sum1 hit the strong sum refuted) into out3[0..2]. */
void oc_matcher_counts(const oc_matcher *m, int64_t *out3);

/* Directory scanner (scan.c): getdents64 + statx, packed records and one name buffer.
 * name/link offsets index oc_scan_names(). err is the errno of a failed statx/readlink
 * (the entry is still reported by name). */
/* FOLLOW: stat through symlinks (and open a symlinked directory); OPEN_FOLLOW: only open
 * a symlinked directory, entries stay unfollowed. */
enum { OC_SCAN_FOLLOW = 1, OC_SCAN_READ_LINKS = 2, OC_SCAN_OPEN_FOLLOW = 4 };
enum { OC_SCAN_HAS_BTIME = 1, OC_SCAN_HAS_TARGET = 2 };
typedef struct {
    uint64_t name_off; uint64_t link_off; uint64_t ino;
    int64_t size; int64_t mtime; int64_t atime; int64_t btime;
    uint32_t name_len; uint32_t link_len; uint32_t mode; uint32_t uid; uint32_t gid;
    uint32_t nlink; uint32_t mtime_nsec; uint32_t atime_nsec; uint32_t btime_nsec;
    uint32_t dev_major; uint32_t dev_minor; uint32_t rdev_major; uint32_t rdev_minor;
    int32_t err; uint32_t flags;
} oc_scan_rec;
typedef struct oc_scan oc_scan;
oc_scan *oc_scan_new(void);
void oc_scan_free(oc_scan *s);
void oc_scan_reset(oc_scan *s);
/* Appends the entries of directory path (relative to dirfd; -100 is AT_FDCWD), "." and
 * ".." left out, in the order the filesystem returns them. Returns how many, or -errno. */
int oc_scan_dir(oc_scan *s, int dirfd, const char *path, int flags);
/* Appends one record for path itself (name = path). Returns 0 or -errno. */
int oc_scan_path(oc_scan *s, int dirfd, const char *path, int flags);
/* oc_scan_dir for n directories on up to `threads` threads; results[i] as oc_scan_dir. */
int oc_scan_dirs(oc_scan **outs, const char *const *paths, int *results, int n, int dirfd,
                 int flags, int threads);
size_t oc_scan_count(const oc_scan *s);
const oc_scan_rec *oc_scan_recs(const oc_scan *s);
const uint8_t *oc_scan_names(const oc_scan *s);
size_t oc_scan_names_len(const oc_scan *s);

/* --list-only lines (listing.c). oc_scan_order fills out[count] with entry indexes in
 * listing order (files by name, then directories as "name/") and returns how many files
 * come first. oc_scan_format writes the lines of entries idx[0..n) (names after
 * "prefix/" when plen > 0); returns the bytes written, or -(bytes needed) if cap is short. */
int oc_scan_order(const oc_scan *s, uint32_t *out);
size_t oc_scan_errors(const oc_scan *s);   /* entries whose statx/readlink failed */
int64_t oc_scan_format(const oc_scan *s, const uint32_t *idx, size_t n, const uint8_t *prefix,
                       size_t plen, int human, int links, int allow8, uint8_t *out, size_t cap);

/* glibc's allocator returns freed memory to the system early (trim and mmap thresholds
 * start at 128 KiB), so a process that allocates and frees buffers of ~100 KiB for every
 * file takes fresh, zeroed pages (page faults) again and again. This keeps up to
 * trim_threshold bytes of freed heap for reuse and serves requests below mmap_threshold
 * from the heap (mallopt M_TRIM_THRESHOLD, M_MMAP_THRESHOLD). Returns 1 when both took. */
int oc_keep_freed_memory(size_t trim_threshold, size_t mmap_threshold);

/* copy.c: one whole file copied locally into a new temp file (O_EXCL, never through a
 * symlink, 0600), given its owner, group, mode and mtime (those whose OC_SET_ bit is set;
 * the access time is left alone) and renamed to dst. src is opened with src_flags
 * (O_NOFOLLOW or 0); with ino nonzero it must be that file (dev, ino) or ELOOP. stop,
 * when not NULL and nonzero, ends the copy between chunks (EINTR). The bytes copied are
 * the source's length when it was opened; when they cannot all be read (a read error, or
 * the file ended early: ENODATA) the stage is OC_STAGE_READ. Returns 0, or -errno with
 * *stage saying which step failed; after a failure no temp file is left. */
enum { OC_SET_OWNER = 1, OC_SET_GROUP = 2, OC_SET_MODE = 4, OC_SET_MTIME = 8 };
enum { OC_STAGE_OPEN = 1, OC_STAGE_TEMP = 2, OC_STAGE_WRITE = 3, OC_STAGE_RENAME = 4,
       OC_STAGE_READ = 5 };
typedef struct {
    const char *src;
    int src_flags;
    uint64_t dev, ino;
    const char *tmp;
    const char *dst;
    int set;
    uint32_t uid, gid, mode;
    int64_t mtime_sec, mtime_nsec;
    volatile int *stop;
} oc_copy_job;
int oc_copy_install(const oc_copy_job *job, int *stage);
/* path opened below directory dirfd (openat2, RESOLVE_BENEATH): symlinks followed while
 * they stay below it, EXDEV for one that leaves (absolute, or ".." past dirfd). Returns
 * the descriptor (O_CLOEXEC), or -errno (-ENOSYS without openat2). */
int oc_open_beneath(int dirfd, const char *path, int flags);
/* The receiver's last steps for a temp file it wrote (open at fd): the attributes as
 * oc_copy_install sets them, the file closed (always, whatever fails), renamed to dst
 * (renameat: each name taken in its directory descriptor, AT_FDCWD for a path, so a
 * receiver holding the destination's directories renames inside them). Returns 0, or
 * -errno with *stage OC_STAGE_WRITE (attributes, close) or OC_STAGE_RENAME; the temp
 * file is left for the caller to keep or remove. */
int oc_install_temp(int fd, int tmp_dir, const char *tmp, int dst_dir, const char *dst,
                    int set, uint32_t uid, uint32_t gid, uint32_t mode, int64_t mtime_sec,
                    int64_t mtime_nsec, int *stage);
/* Starts writing a file's dirty pages to its device without waiting for them
 * (sync_file_range SYNC_FILE_RANGE_WRITE over the whole file). A receiver replacing a
 * big file calls it as it writes: ext4 would otherwise write the whole new file out at
 * the rename over the old one (auto_da_alloc), in the rename. 0 or -errno. */
int oc_start_writeback(int fd);
/* Reserves blocks for the first `length` bytes of a new file about to be written whole
 * (fallocate), with keep_size leaving its size as it is (FALLOC_FL_KEEP_SIZE), else making
 * it `length` long. Writing into reserved blocks skips ext4's per-page delayed
 * allocation: a 512 MiB write took 80-98 ms instead of 115-147. Blocks past what was
 * written are given back by an ftruncate to the written length. 0 or -errno (-EOPNOTSUPP
 * where the file system cannot). oc_punch_hole gives back the blocks of a range, which
 * then reads as zeros (FALLOC_FL_PUNCH_HOLE). */
int oc_preallocate(int fd, int64_t length, int keep_size);
int oc_punch_hole(int fd, int64_t offset, int64_t length);
/* mapped.c: a file read through a shared read-only mapping, safe from SIGBUS: a page
 * that has gone (the file shrank after it was mapped) reads as zeros and the mapping
 * remembers it. oc_map_open maps size bytes of fd (size 0: nothing, p NULL); 0 or -errno
 * (-EMFILE: too many mappings open at once). oc_map_hit: a vanished page was read.
 * oc_map_shrank: that, or the file is now shorter than the mapping. oc_map_advise over
 * off..off+len: OC_MAP_DROP lets go of the pages (whole ones; the file keeps them cached),
 * OC_MAP_SEQUENTIAL/OC_MAP_WILLNEED as madvise's. oc_map_close unmaps and returns
 * oc_map_hit's answer. */
typedef struct { const uint8_t *p; int64_t size; int slot; } oc_map;
enum { OC_MAP_DROP = 0, OC_MAP_SEQUENTIAL = 1, OC_MAP_WILLNEED = 2 };
int oc_map_open(oc_map *m, int fd, int64_t size);
int oc_map_hit(const oc_map *m);
int oc_map_shrank(const oc_map *m, int fd);
int oc_map_advise(const oc_map *m, int64_t off, int64_t len, int how);
int oc_map_close(oc_map *m);
/* 1 when files a (opened with a_flags) and b (never through a symlink) hold the same
 * bytes, 0 when not (b not a regular file of size bytes: without reading either), -errno
 * when one cannot be opened or read (-c's comparison of a local copy). */
int oc_files_equal(const char *a, int a_flags, const char *b, int64_t size);
/* same.c: which entries of a scanned source directory (recs[0..n), names[0..names_len) as
 * scanned) already stand identical in dst_dir: a mark of 1 for a regular file of the same
 * size, mtime (to the nanosecond) and, per flags, permission bits, owner and group (with
 * OC_SAME_CONTENT also the same bytes, the source file opened in src_dir and checked to be
 * the one listed); with OC_SAME_LINKS a symlink with the same target (and with
 * OC_SAME_LINK_TIMES the same mtime), owner and group. Everything else is 0: directories,
 * devices, entries whose scan failed. oc_same_start copies what it is given and queues the
 * check for two worker threads shared by every check (so the next directory's is worked on
 * while the caller handles this one's answer); NULL without memory. oc_same_wait waits for
 * it and returns how many are 1, or -errno when a directory cannot be opened (then no mark
 * is 1); oc_same_marks gives the n marks after the wait; oc_same_free waits and frees. */
enum { OC_SAME_PERMS = 1, OC_SAME_OWNER = 2, OC_SAME_GROUP = 4, OC_SAME_LINKS = 8,
       OC_SAME_LINK_TIMES = 16, OC_SAME_CONTENT = 32 };
typedef struct oc_same_check oc_same_check;
oc_same_check *oc_same_start(const char *src_dir, const char *dst_dir,
                             const oc_scan_rec *recs, size_t n, const uint8_t *names,
                             size_t names_len, int flags);
int oc_same_wait(oc_same_check *check);
const uint8_t *oc_same_marks(const oc_same_check *check);
void oc_same_free(oc_same_check *check);

/* flist.c: file-list entries encoded and decoded in bulk (upstream: flist.c
 * send_file_entry, recv_file_entry), the bytes of oc_wire's FlistEncoder.entry and
 * FlistDecoder.read_entry, which stay the reference. The decoder stops before what it
 * leaves to the reference: the end of a list, a later hard link of the same list (a copy
 * of an earlier entry), and every entry that is not valid (the reference names the
 * error); the encoder before an entry the wire cannot carry (a value out of its range).
 * The running state (the previous entry's values) is the caller's, in oc_flist_state. */
enum { OC_FL_VARINT = 1, OC_FL_UID = 2, OC_FL_GID = 4, OC_FL_LINKS = 8, OC_FL_DEVICES = 16,
       OC_FL_SPECIALS = 32, OC_FL_HLINKS = 64, OC_FL_CSUM = 128, OC_FL_ATIMES = 256,
       OC_FL_CRTIMES = 512, OC_FL_SAFE = 1024, OC_FL_ABSOLUTE = 2048 };
/* record bits */
enum { OC_FR_TOP_DIR = 1, OC_FR_NO_CONTENT = 2, OC_FR_IMPLIED = 4, OC_FR_HLINKED = 8,
       OC_FR_LINK = 16, OC_FR_CSUM = 32, OC_FR_UNAME = 64, OC_FR_GNAME = 128,
       OC_FR_FIRST = 256 };
/* status after oc_flist_decode */
enum { OC_FL_MORE = 0, OC_FL_NEED = 1, OC_FL_STOP = 2 };
typedef struct {
    int64_t mtime, atime, uid, gid, rdev_major, dev;
    int64_t count, max_entries;      /* entries decoded so far (all lists), the bound */
    int64_t list_start, current;     /* this list's first index, its entries so far */
    uint32_t mode, name_len, opts, checksum_len;
    int32_t protocol;
    uint8_t name[4096];
} oc_flist_state;
/* One entry. Decoded: name in arena[name_off..+name_len); link target, checksum, owner
 * names in buf[..._off..+..._len) of the input (present when their OC_FR_ bit is set);
 * hlink_first is meaningful with OC_FR_FIRST (a link whose first is in an earlier list).
 * To encode: all in one data buffer; OC_FR_UNAME/GNAME: a name to send with the id
 * (incremental recursion, the id's first time), OC_FR_FIRST: hlink_first is set. */
typedef struct {
    int64_t size, mtime, atime, crtime, uid, gid, rdev_major, rdev_minor;
    int64_t hlink_first, dev, ino;
    uint32_t mode; int32_t nsec;
    uint32_t name_off, name_len, link_off, link_len, csum_off;
    uint32_t uname_off, uname_len, gname_off, gname_len, bits;
} oc_flist_rec;
/* Decodes entries from buf[0..len) into out[0..cap), names into arena[0..arena_cap).
 * Returns the records written; *used is the bytes they took; *status says why it ended:
 * MORE (out or arena full), NEED (buf ends inside an entry), STOP (see above). */
size_t oc_flist_decode(oc_flist_state *d, const uint8_t *buf, size_t len, size_t *used,
                       oc_flist_rec *out, size_t cap, uint8_t *arena, size_t arena_cap,
                       int *status);
/* Encodes recs[0..n) into out[0..cap) (each entry needs at most OC_FL_ENTRY_MAX bytes).
 * Returns the entries encoded; *written is their bytes. Ends early when out is full or
 * before an entry the wire cannot carry. */
enum { OC_FL_ENTRY_MAX = 9216 };
size_t oc_flist_encode(oc_flist_state *s, const oc_flist_rec *recs, size_t n,
                       const uint8_t *data, uint8_t *out, size_t cap, size_t *written);
