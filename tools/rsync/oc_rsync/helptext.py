"""`oc-rsync --help`: what it takes, in rsync's syntax (our own summary; rsync(1) is the
reference for each option's meaning)."""

__all__ = ["HELP"]

HELP = """oc-rsync: rsync's protocol (32 down to 28) in Python over a C core; speaks to rsync.

Usage: oc-rsync [OPTION]... SRC [SRC]... DEST
  or   oc-rsync [OPTION]... SRC [SRC]... [USER@]HOST:DEST
  or   oc-rsync [OPTION]... [USER@]HOST:SRC [DEST]
  or   oc-rsync [OPTION]... SRC            (lists SRC, as --list-only)
A trailing / on a source means its contents, not the directory itself.

What is copied
  -a, --archive            -rlptgoD        -r, --recursive   -d, --dirs
  -l, --links  -L, --copy-links  -k, --copy-dirlinks  -K, --keep-dirlinks
      --copy-unsafe-links  --safe-links    -H, --hard-links
  -p, --perms  -E, --executability  -o, --owner  -g, --group  -D (--devices --specials)
  -t, --times  -U, --atimes  -O, --omit-dir-times  -J, --omit-link-times  --numeric-ids
      --chmod=CHMOD  --chown=USER:GROUP  --usermap=STRING  --groupmap=STRING
  -R, --relative  --no-implied-dirs  -x, --one-file-system  -m, --prune-empty-dirs
      --files-from=FILE  -0, --from0   --mkpath
Which files
  -u, --update  --existing  --ignore-existing  --max-size=SIZE  --min-size=SIZE
  -c, --checksum  --size-only  -I, --ignore-times  -@, --modify-window=SECS
  -f, --filter=RULE  --exclude=PAT  --include=PAT  --exclude-from=FILE
      --include-from=FILE  -F  -C, --cvs-exclude
How
  -W, --whole-file  --no-whole-file  -B, --block-size=N  -S, --sparse
      --inplace  --append  --append-verify  --partial  --partial-dir=DIR
      --delay-updates  --preallocate
  -T, --temp-dir=DIR  -P (--partial --progress)  --remove-source-files
  -z, --compress  --compress-choice=zlib|zlibx|zstd|lz4  --compress-level=N
      --checksum-choice=xxh128|xxh3|xxh64|md5|md4  --checksum-seed=N
      --delete  --delete-before|-during|-delay|-after  --delete-excluded
      --max-delete=N  --force  --ignore-errors  --bwlimit=RATE  --timeout=SECS
  -e, --rsh=COMMAND  --rsync-path=PROGRAM  -s, --secluded-args  --old-args
      --protocol=28..32  --write-batch=FILE  --read-batch=FILE
What it says
  -v, --verbose  -q, --quiet  -i, --itemize-changes  --out-format=FORMAT
      --log-file=FILE  --log-file-format=FORMAT  --stats  -h, --human-readable
      --progress  --info=FLAGS (--info=help)  -8, --8-bit-output  -n, --dry-run
      --list-only  -V, --version  --help
Not here yet: the daemon (HOST::MODULE, rsync://), backups,
--link-dest/--copy-dest/--compare-dest, ACLs and xattrs, --iconv, --fuzzy's basis.
"""
