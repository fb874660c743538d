"""A sending side never follows a directory swapped for a symlink after it was listed
(upstream's confined walk guards the same race): the scan opens directories it found as
directories with O_NOFOLLOW, and the sender checks the file it opened is the one listed."""
import os

import pytest
from oc_flist.build import ScanErrors, Selection, build_items
from oc_rsync.sender import open_listed


def _tree(tmp_path):
    src, outside = tmp_path / "src", tmp_path / "outside"
    (src / "sub").mkdir(parents=True)
    outside.mkdir()
    for i in range(3):
        (src / "sub" / f"f{i}").write_text("in tree")
        (outside / f"f{i}").write_text("SECRET")
    return src, outside


def test_a_directory_swapped_for_a_symlink_is_not_descended(tmp_path):
    src, outside = _tree(tmp_path)
    errors = ScanErrors()
    items = build_items([os.fsencode(src) + b"/"],
                        Selection(recurse=True, xfer_dirs=True, preserve_links=True),
                        None, errors)
    names = []
    for e, _path in items:
        names.append(e.name)
        if e.name == b"sub":  # listed as a directory: now swap it, before the descent
            os.rename(src / "sub", src / "real")
            os.symlink(outside, src / "sub")
    assert b"sub" in names and not any(n.startswith(b"sub/") for n in names)
    assert any("opendir" in text for _, text in errors.messages)


def test_the_sender_refuses_a_file_that_is_not_the_listed_one(tmp_path):
    src, outside = _tree(tmp_path)
    (e, _), = [(e, p) for e, p in build_items([os.fsencode(src / "sub" / "f0")],
                                              Selection(xfer_dirs=True))]
    with pytest.raises(OSError) as info:
        open_listed(os.fsencode(outside / "f0"), os.O_RDONLY, e)
    assert info.value.errno == 40
    os.close(open_listed(os.fsencode(src / "sub" / "f0"), os.O_RDONLY, e))  # the listed one
