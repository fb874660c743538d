"""--safe-links: the receiving side's generator drops every symlink upstream's
unsafe_symlink (util1.c, 3.5.0) calls unsafe, and says so with -v; the rule is lexical
(absolute or empty targets, '..'s climbing above the top counted from the link's own
depth, a '/../' after the leading '../'s, a trailing '/..'). Compared with
upstream-to-upstream in the five directions: the destination tree, the exit code and
the "ignoring unsafe symlink" lines. Before, --safe-links was accepted and did nothing."""
import os
import re

import pytest
from oc_flist.build import unsafe_symlink
from test_rsync_interop import DIRECTIONS, RSYNC, _reference_for, _run, _snapshot

pytestmark = pytest.mark.skipif(not os.path.exists(RSYNC), reason="needs upstream rsync")

LINKS = {  # link name in the tree -> target
    "top-up": "../x", "top-ok": "file", "top-abs": "/etc/passwd", "top-dot": "./file",
    "sub/ok": "../file", "sub/up": "../../x", "sub/mid": "a/../file",
    "sub/climb": "a/a/a/../../../unsafe2", "sub/tail": "a/..", "sub/dd": "..",
    "sub/ddd": "../..", "sub/lead": "..//file", "sub/dots": "../.././file",
    "deep/a/b/ok": "../../../file", "deep/a/b/up": "../../../../file",
    "deep/a/b/twice": "../../a/../b", "deep/a/b/inner": "c/./d",
}


def _tree(root) -> None:
    for name, target in LINKS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
    (root / "file").write_text("in the tree\n")


def _ignored(out: bytes) -> set[str]:
    return set(re.findall(r'ignoring unsafe symlink "[^"]*" -> "[^"]*"', out.decode()))


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("opts", [["-a", "--safe-links"], ["-av", "--safe-links"],
                                  ["-rlv", "--safe-links", "--protocol=29"]],
                         ids=["a", "av", "rlv-p29"])
def test_safe_links_drops_what_upstream_drops(tmp_path, direction, opts):
    src, ref, ours = tmp_path / "src", tmp_path / "ref", tmp_path / "ours"
    src.mkdir()
    _tree(src)
    want = _reference_for(direction, opts, src, ref, tmp_path)
    got = _run(direction, opts, src, ours, tmp_path)
    assert got.returncode == want.returncode == 0, got.stderr.decode(errors="replace")
    assert _snapshot(ours, False, False) == _snapshot(ref, False, False)
    assert _ignored(got.stdout) == _ignored(want.stdout)
    if "-av" in opts:  # (the verdicts are not all one way)
        assert 4 < len(_ignored(want.stdout)) < len(LINKS)


def test_unsafe_symlink_verdicts_are_upstreams(tmp_path):
    """The port itself, against what upstream's --safe-links kept of the same links."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    _tree(src)
    r = _reference_for("oc-local", ["-a", "--safe-links"], src, dst, tmp_path)
    assert r.returncode == 0
    for name, target in LINKS.items():
        kept = os.path.islink(dst / name)
        assert unsafe_symlink(target.encode(), name.encode()) == (not kept), (name, target)
