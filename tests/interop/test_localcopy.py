"""The in-process local copy (oc_rsync.localcopy): for every option set it takes, the
destination, the exit code and the messages equal upstream's local copy of the same
tree over the same basis; the option sets it does not take go the two-process way."""
import os
import subprocess

import oc_core
import pytest
from oc_core.record import replace
from oc_rsync.localcopy import eligible
from oc_rsync.options import parse_args
from test_rsync_interop import OC, RSYNC, _copy, _snapshot, _tree

TAKEN = [["-a"], ["-ac"], ["-r"], ["-rlt"], ["-rlptD"], ["-a", "--size-only"],
         ["-a", "-I"], ["-au"], ["-a", "--existing"], ["-a", "--ignore-existing"],
         ["-a", "--max-size=50k"], ["-a", "--min-size=10"],
         ["-a", "--exclude=*text", "--exclude=deeper/"], ["-aF"], ["-aL"], ["-aE"],
         ["-rtE"], ["-a", "--modify-window=2"], ["-a", "--omit-dir-times"],
         ["-a", "--numeric-ids"], ["-a", "-z"], ["-acq"], ["-rc"], ["-d"], ["-dlt"]]
NOT_TAKEN = [["-av"], ["-ai"], ["-a", "--stats"], ["-a", "--delete"], ["-aH"], ["-an"],
             ["-a", "--inplace"], ["-a", "--partial"], ["-a", "--bwlimit=100"],
             ["-a", "--no-whole-file"], ["-aR"], ["-a", "--progress"], ["-aS"],
             ["-a", "--append"], ["-a", "--write-batch=x"], ["-a", "--remove-source-files"],
             ["-a", "--temp-dir=/tmp"], ["-a", "--log-file=x"], ["-a", "--protocol=29"]]


def _settled(argv):
    o = parse_args([*argv, "a/", "b/"])
    return replace(o, whole_file=True) if o.whole_file is None and not o.append else o


@pytest.mark.parametrize("opts", TAKEN, ids=" ".join)
def test_option_sets_taken_in_process(opts):
    assert eligible(_settled(opts))


@pytest.mark.parametrize("opts", NOT_TAKEN, ids=" ".join)
def test_option_sets_left_to_the_two_processes(opts):
    assert not eligible(_settled(opts))


def _same_run(tmp_path, opts, src_ops, fresh=False):
    """Upstream and oc-rsync, each over its own copy of the basis (or into a fresh
    destination); returns both CompletedProcesses and the two destinations."""
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    if not fresh:
        _copy(tmp_path / "basis", ref)
        _copy(tmp_path / "basis", ours)
    want = subprocess.run([RSYNC, *opts, *src_ops, f"{ref}/"], capture_output=True,
                          timeout=120)
    got = subprocess.run([OC, *opts, *src_ops, f"{ours}/"], capture_output=True, timeout=120)
    return want, got, ref, ours


def _said(r) -> list[bytes]:
    return sorted(x.split(b" error: ")[0].replace(b"oc-rsync", b"rsync")
                  for x in r.stderr.splitlines() if not x.startswith(b"rsync error:")
                  and not x.startswith(b"oc-rsync error:"))


def _differ_in_one_attribute(src, basis) -> None:
    """Basis entries equal to their source but for one attribute: what an option keeps
    is fixed, and the rest is left alone, as upstream does (the in-process copy tells
    identical entries apart in C, oc_core.scan DirListing.same_in)."""
    os.chmod(basis / "one", 0o600)
    st = os.lstat(src / "sp ace")
    os.utime(basis / "sp ace", ns=(st.st_atime_ns, st.st_mtime_ns + 1))  # same second
    st = os.lstat(src / "-dash")
    os.utime(basis / "-dash", ns=(st.st_atime_ns, st.st_mtime_ns + 3_000_000_000))
    st = os.lstat(src / "link")
    os.utime(basis / "link", ns=(st.st_atime_ns, st.st_mtime_ns + 5), follow_symlinks=False)
    os.unlink(basis / "dangling")
    os.symlink("elsewhere", basis / "dangling")
    if os.geteuid() == 0:
        os.chown(basis / "empty", 1234, 1234)
        os.chown(basis / "new\nline", os.getuid(), 4321)


@pytest.mark.parametrize("opts", TAKEN, ids=" ".join)
def test_local_copy_equals_upstream(tmp_path, opts):
    src, _ = _tree(tmp_path, False)
    (tmp_path / "basis" / "dir" / "text").write_bytes(  # same size and time, other bytes
        (src / "dir" / "text").read_bytes().replace(b"line 7\n", b"line X\n"))
    st = os.stat(src / "dir" / "text")
    os.utime(tmp_path / "basis" / "dir" / "text", ns=(st.st_atime_ns, st.st_mtime_ns))
    _differ_in_one_attribute(src, tmp_path / "basis")
    want, got, ref, ours = _same_run(tmp_path, opts, [f"{src}/"])
    assert got.returncode == want.returncode, (got.stderr, want.stderr)
    assert _said(got) == _said(want)
    times = "-a" in opts or any("t" in x for x in opts if not x.startswith("--"))
    timed = None  # without -t every time is the run's; --omit-dir-times: the files' only
    if "--omit-dir-times" in opts:
        timed = {k for k, v in _snapshot(ref, True, False).items() if v[0] != 0o40000}
    assert _snapshot(ours, True, times, timed) == _snapshot(ref, True, times, timed)


@pytest.mark.parametrize("sources", [["src/"], ["src"], ["src/dir", "src/one", "src/link"],
                                     ["src/rand"]])
def test_fresh_destinations_and_source_forms(tmp_path, sources):
    """(A source named without its slash is a directory in the destination: upstream
    sometimes leaves that one's mtime at its own run's time, renaming files into it after
    setting it; ours is always the source's. Its time is left out.)"""
    _tree(tmp_path, False)
    want, got, ref, ours = _same_run(tmp_path, ["-a"], [f"{tmp_path}/{s}" for s in sources],
                                     fresh=True)
    assert got.returncode == want.returncode == 0, got.stderr
    timed = {k for k in _snapshot(ref, True, False) if k != b"src"}
    assert _snapshot(ours, True, True, timed) == _snapshot(ref, True, True, timed)


def test_missing_source_says_so_and_exits_23(tmp_path):
    _tree(tmp_path, False)
    want, got, _, ours = _same_run(tmp_path, ["-a"], [f"{tmp_path}/src/", f"{tmp_path}/nope"],
                                   fresh=True)
    assert got.returncode == want.returncode == 23
    assert _said(got) == _said(want)
    assert b"oc-rsync error: some files/attrs were not transferred" in got.stderr


def test_unreadable_source_file_is_an_error_the_rest_copied(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    _tree(tmp_path, False)
    os.chmod(tmp_path / "src" / "one", 0)
    want, got, ref, ours = _same_run(tmp_path, ["-a"], [f"{tmp_path}/src/"], fresh=True)
    assert got.returncode == want.returncode == 23
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)


def _install_temp_steps(b, tmp_path):
    """install_temp: a written temp file gets its owner, group, mode and mtime through
    its descriptor (its access time kept), is closed and renamed; a failing rename says
    so and leaves the temp file to the caller."""
    tmp, dst = tmp_path / ".n.XXXXXX", tmp_path / "n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"data")
    os.utime(fd, ns=(5_000_000_000, 6_000_000_000))
    st = os.fstat(fd)
    bits = oc_core.SET_OWNER | oc_core.SET_GROUP | oc_core.SET_MODE | oc_core.SET_MTIME
    assert b.install_temp(fd, bytes(tmp), bytes(dst), bits, st.st_uid, st.st_gid, 0o604,
                          1_700_000_000, 987) == (0, oc_core.STAGE_RENAME)
    with pytest.raises(OSError):
        os.fstat(fd)  # closed
    got = os.stat(dst)
    assert dst.read_bytes() == b"data" and not tmp.exists()
    assert (got.st_mode & 0o7777, got.st_mtime_ns, got.st_atime_ns) == (
        0o604, 1_700_000_000_000_000_987, 5_000_000_000)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    assert b.install_temp(fd, bytes(tmp), bytes(tmp_path / "no" / "n"), oc_core.SET_MODE,
                          0, 0, 0o644, 0, 0) == (-2, oc_core.STAGE_RENAME)
    assert tmp.exists() and os.stat(tmp).st_mode & 0o7777 == 0o644
    with pytest.raises(OSError):
        os.fstat(fd)
    (tmp_path / "a").mkdir()  # names taken in directories held open (renameat)
    src_dir, dst_dir = os.open(tmp_path, os.O_RDONLY), os.open(tmp_path / "a", os.O_RDONLY)
    fd = os.open(tmp, os.O_WRONLY)
    assert b.install_temp(fd, tmp.name.encode(), b"m", oc_core.SET_MODE, 0, 0, 0o600, 0, 0,
                          src_dir, dst_dir) == (0, oc_core.STAGE_RENAME)
    assert (tmp_path / "a" / "m").exists() and not tmp.exists()
    os.close(src_dir)
    os.close(dst_dir)


@pytest.mark.parametrize("backend", ["native", "pure"])
def test_copy_install_steps(tmp_path, backend):
    """copy_install: the copy with its attributes under the final name; a failing step
    says which, and leaves no temp file."""
    b = oc_core.load_backend(backend)
    src, dst, tmp = tmp_path / "s", tmp_path / "d", tmp_path / ".d.XXXXXX"
    src.write_bytes(os.urandom(300_000))
    bits = oc_core.SET_MODE | oc_core.SET_MTIME
    args = (bytes(tmp), bytes(dst), bits, 0, 0, 0o640, 1_600_000_000, 123)
    st = os.stat(src)
    assert b.copy_install(bytes(src), 0, st.st_dev, st.st_ino, *args) == (0, oc_core.STAGE_RENAME)
    assert dst.read_bytes() == src.read_bytes() and not tmp.exists()
    assert os.stat(dst).st_mtime_ns == 1_600_000_000_000_000_123
    assert os.stat(dst).st_mode & 0o7777 == 0o640
    assert b.copy_install(bytes(tmp_path / "gone"), 0, 0, 0, *args)[1] == oc_core.STAGE_OPEN
    assert b.copy_install(bytes(src), 0, st.st_dev, st.st_ino + 1, *args)[0] == -40  # ELOOP
    tmp.write_bytes(b"taken")
    assert b.copy_install(bytes(src), 0, 0, 0, *args) == (-17, oc_core.STAGE_TEMP)  # EEXIST
    tmp.unlink()
    args = (bytes(tmp), bytes(tmp_path / "no" / "d"), *args[2:])
    assert b.copy_install(bytes(src), 0, 0, 0, *args) == (-2, oc_core.STAGE_RENAME)
    assert not tmp.exists()
    stop = b.StopFlag()
    stop.set()
    assert b.copy_install(bytes(src), 0, 0, 0, *args, stop)[1] == oc_core.STAGE_WRITE
    assert not tmp.exists()
    size = src.stat().st_size
    _install_temp_steps(b, tmp_path)
    assert b.files_equal(bytes(src), 0, bytes(dst), size) == 1
    dst.write_bytes(src.read_bytes()[:-1] + b"x")
    assert b.files_equal(bytes(src), 0, bytes(dst), size) == 0
    assert b.files_equal(bytes(src), 0, bytes(tmp_path / "gone"), size) == -2


@pytest.mark.parametrize("opts", [["-a"], ["-ac"]], ids=" ".join)
def test_destination_links_the_source_lacks(tmp_path, opts):
    """Two distinct source files (other permissions, same bytes and times) whose
    destination names share one inode, in one directory and in two: a change to one
    name is a change to the other, which upstream's generator sees when it reaches the
    other (its permissions are set back); ours looks at such a file only then too, not
    when its directory is read (or read ahead, while the one before is handled)."""
    src, basis = tmp_path / "src", tmp_path / "basis"
    for d in ("a", "b", "c"):
        (src / d).mkdir(parents=True)
    for name, mode in (("a/x", 0o600), ("a/y", 0o644), ("b/z", 0o640), ("c/w", 0o644)):
        (src / name).write_bytes(b"same bytes\n" * 100)
        os.chmod(src / name, mode)
        os.utime(src / name, ns=(1, 1_600_000_000_000_000_000))
    _copy(src, basis)
    for name in ("a/y", "b/z", "c/w"):  # all linked to a/x in the basis, at y's mode
        os.unlink(basis / name)
        os.link(basis / "a/x", basis / name)
    os.chmod(basis / "a/x", 0o644)
    want, got, ref, ours = _same_run(tmp_path, opts, [f"{src}/"])
    assert got.returncode == want.returncode == 0, got.stderr
    assert _snapshot(ours, True, True) == _snapshot(ref, True, True)
