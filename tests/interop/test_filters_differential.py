"""Filter rules vs upstream: the set of paths `rsync -r --list-only RULES src/` lists
equals the set a test-local walker keeps using oc_flist.filters."""

import os
import shutil
import subprocess

import pytest
from oc_flist.filters import FilterRules, FilterSyntaxError

RSYNC = shutil.which("rsync") or "/usr/bin/rsync"
pytestmark = pytest.mark.skipif(not os.path.exists(RSYNC), reason="upstream rsync not installed")

FILES = [
    "a.txt",
    "b.o",
    "c.c",
    "core",
    "notes.bak",
    "x~",
    ".hidden",
    "keep.log",
    "src/main.c",
    "src/main.o",
    "src/util.h",
    "src/deep/x.c",
    "src/deep/y.o",
    "src/deep/deeper/z.c",
    "src/deep/deeper/z.txt",
    "lib/a.so",
    "lib/b.a",
    "lib/inc/h.h",
    "lib/inc/core",
    "docs/readme.md",
    "docs/img/p.png",
    "docs/img/q.jpg",
    "docs/old/r.md",
    "build/out.bin",
    "build/tmp/t.o",
    "build/keep/k.txt",
    "foo/bar/baz.txt",
    "foo/baz/bar.txt",
    "foo/bar.txt",
    "x/foo/bar/q",
    "CVS/Entries",
    ".git/HEAD",
    "sub/.git/config",
    "sub/file",
    "tmp",
    "dir1/tmp/f",
    "dir1/f2",
    "a1b/c",
    "ab/c",
    "[x]/y",
]
DIRS_ONLY = ["empty", "build/emptydir"]


# (name, rsync args, merge files to create {relpath: text}, extra files outside src)
CASES = [
    ("ex_basename", ["--exclude=*.o"], {}),
    ("ex_plain_name", ["--exclude=core"], {}),
    ("ex_anchored", ["--exclude=/core"], {}),
    ("ex_anchored_dir", ["--exclude=/src"], {}),
    ("ex_dir_only_tmp", ["--exclude=tmp/"], {}),
    ("ex_tmp_any", ["--exclude=tmp"], {}),
    ("ex_infix_slash", ["--exclude=deep/*.c"], {}),
    ("ex_infix_literal", ["--exclude=bar/baz.txt"], {}),
    ("ex_two_elems", ["--exclude=foo/bar"], {}),
    ("ex_star_star", ["--exclude=src/**/*.c"], {}),
    ("ex_star_star_prefix", ["--exclude=**/img"], {}),
    ("ex_star_star_mid", ["--exclude=foo/**/q"], {}),
    ("ex_wild3", ["--exclude=docs/***"], {}),
    ("inc_wild3_only", ["--include=docs/***", "--exclude=*"], {}),
    ("inc_c_only", ["--include=*/", "--include=*.c", "--exclude=*"], {}),
    ("inc_before_ex", ["--include=main.o", "--exclude=*.o"], {}),
    ("ex_before_inc", ["--exclude=*.o", "--include=main.o"], {}),
    (
        "inc_path_chain",
        ["--include=/src/", "--include=/src/deep/", "--include=/src/deep/x.c", "--exclude=*"],
        {},
    ),
    ("ex_question", ["--exclude=?.txt"], {}),
    ("ex_class", ["--exclude=[ab].*"], {}),
    ("ex_neg_class", ["--exclude=[!ab].*"], {}),
    ("ex_range", ["--exclude=a[0-9]b"], {}),
    ("ex_posix_class", ["--exclude=*[[:digit:]]*"], {}),
    ("ex_escaped_bracket", ["--exclude=\\[x\\]"], {}),
    ("ex_hidden", ["--exclude=.*"], {}),
    ("filter_minus", ["--filter=- *.bak"], {}),
    ("filter_long_exclude", ["--filter=exclude *.bak"], {}),
    ("filter_plus_minus", ["-f", "+ *.c", "-f", "- src/*"], {}),
    ("filter_hide", ["--filter=hide *.txt"], {}),
    ("filter_show_hide", ["--filter=show a.txt", "--filter=hide *.txt"], {}),
    ("filter_protect_ignored", ["--filter=protect *.txt"], {}),
    ("filter_negate", ["--filter=-! */"], {}),
    ("filter_negate_name", ["--filter=-! *.c"], {}),
    ("filter_clear", ["--exclude=*.c", "--filter=!", "--exclude=*.o"], {}),
    ("exclude_old_prefix", ["--exclude=+ *.o", "--exclude=*.o"], {}),
    ("filter_underscore", ["--filter=-_*.md"], {}),
    ("filter_dironly_minus", ["--filter=- */"], {}),
    ("filter_sender_mod", ["--filter=-s *.so"], {}),
    ("filter_receiver_mod", ["--filter=-r *.so"], {}),
    (
        "merge_file",
        ["--filter=. ../rules"],
        {"../rules": "+ *.c\n- src/**\n# comment\n; also\n\n- *.o\n"},
    ),
    ("merge_minus", ["--filter=merge,- ../rules"], {"../rules": "*.md\n*.png\n"}),
    ("merge_plus", ["--filter=merge,+ ../rules", "--exclude=*.txt"], {"../rules": "a.txt\n"}),
    ("exclude_from", ["--exclude-from=../ex"], {"../ex": "*.o\n# c\n/core\n\nbuild/\n"}),
    ("include_from", ["--include-from=../in", "--exclude=*"], {"../in": "*/\n*.h\n"}),
    ("exclude_from0", ["-0", "--exclude-from=../ex"], {"../ex": "*.o\0docs\0"}),
    ("dirmerge_basic", ["--filter=: .rules"], {".rules": "- *.o\n", "src/.rules": "- *.h\n"}),
    (
        "dirmerge_inherit",
        ["--filter=dir-merge .rules"],
        {"src/.rules": "- *.c\n", "src/deep/.rules": "+ x.c\n"},
    ),
    ("dirmerge_no_inherit", ["--filter=:n .rules"], {"src/.rules": "- *.c\n"}),
    ("dirmerge_exclude_self", ["--filter=:e .rules"], {"src/.rules": "- *.h\n"}),
    (
        "dirmerge_anchored",
        ["--filter=: .rules"],
        {"src/.rules": "- /main.c\n", "src/deep/x.c": None},
    ),
    ("dirmerge_anchored_sub", ["--filter=: .rules"], {"src/.rules": "- /deep/x.c\n"}),
    ("dirmerge_clear", ["--filter=: .rules"], {".rules": "- *.txt\n", "foo/.rules": "!\n- *.md\n"}),
    ("dirmerge_minus", ["--filter=:- .ex"], {"docs/.ex": "*.md\n"}),
    (  # a dir-merge rule inside a per-directory file: active from there down
        "dirmerge_nested",
        ["--filter=: .rules"],
        {"src/.rules": "- *.h\n: .more\n", "src/.more": "- main.c\n",
         "src/deep/.more": "- *.txt\n+ x.c\n- *.c\n", "lib/.more": "- *.a\n"},
    ),
    (  # ... inherited below, cleared by "!", not duplicated by the same name again
        "dirmerge_nested_clear",
        ["--filter=: .rules"],
        {"src/.rules": ":n .more\n", "src/.more": "- *.o\n",
         "src/deep/.more": "- x.c\n", "src/deep/.rules": "!\n: .rules\n- y.o\n"},
    ),
    (  # ":C" inside a per-directory file (per-directory .cvsignore from there down)
        "dirmerge_nested_cvs",
        ["--filter=: .rules"],
        {"src/.rules": ":C\n", "src/.cvsignore": "util.h\n", "src/deep/.cvsignore": "*.c\n"},
    ),
    ("dirmerge_word", ["--filter=:w .rules"], {"src/.rules": "-_*.c +_x.c\n-_*.h"}),
    (
        "dirmerge_override_earlier",
        ["--include=z.c", "--filter=: .rules"],
        {"src/.rules": "- *.c\n"},
    ),
    ("dirmerge_cvs_mod", ["--filter=:C"], {"src/.cvsignore": "*.h main.c\n"}),
    ("F_once", ["-F"], {".rsync-filter": "- *.o\n", "docs/.rsync-filter": "- *.png\n"}),
    ("F_twice", ["-FF"], {".rsync-filter": "- *.o\n", "docs/.rsync-filter": "- *.png\n"}),
    (  # -F reads the transfer root's parents' files first (nearest first; an anchored
        # rule counts from its own directory)
        "F_parent_dirs",
        ["-F"],
        {"../.rsync-filter": "- *.o\n- /src/keep.log\n- /src/lib/inc/\n+ core\n- /elsewhere\n",
         ".rsync-filter": "- core\n", "docs/.rsync-filter": "- *.png\n"},
    ),
    (
        "F_parent_dirs_cleared",
        ["-F"],
        {"../.rsync-filter": "- *.c\n", ".rsync-filter": "!\n- *.h\n"},
    ),
    ("C_default", ["-C"], {}),
    ("C_cvsignore", ["-C"], {"src/.cvsignore": "*.h\n", "lib/.cvsignore": "inc"}),
    ("C_with_include", ["--include=core", "-C"], {}),
    ("C_cvsignore_bang", ["-C"], {"lib/.cvsignore": "!\n*.so\n"}),
    ("many_mixed", ["--include=*/", "--exclude=build/**", "--include=*.txt", "--exclude=*"], {}),
    ("ex_double_star_file", ["--exclude=**.txt"], {}),
    ("ex_anchored_wild", ["--exclude=/*/deep"], {}),
    ("ex_wild3_on_file", ["--exclude=a.txt/***"], {}),
    ("ex_dir_with_slash_path", ["--exclude=src/deep/"], {}),
    ("inc_dirs_only", ["--include=*/", "--exclude=*"], {}),
    ("ex_anchored_two_elems", ["-f", "- /foo/bar.txt"], {}),
    ("inc_deeper_subtree", ["--include=**/deeper/**", "--include=*/", "--exclude=*"], {}),
    (
        "dirmerge_nested_inherit_clear",
        ["--filter=: .r"],
        {".r": "- *.c\n", "src/.r": "+ main.c\n", "src/deep/.r": "!\n- *.txt\n"},
    ),
    ("dirmerge_plus_mod", ["--filter=:+ .in", "--exclude=*.md"], {"docs/.in": "readme.md\n"}),
    # 'x' rules name extended attributes, never files
    ("xattr_rules_match_no_file", ["-f", "-x *.c", "-f", "+x core", "--filter=-,x *.o",
                                   "--filter=exclude,x *.txt"], {}),
    ("comma_after_rule_char", ["-f", "-,s *.o", "-f", "-,/ *.bak"], {}),
    # '/': the pattern is matched against the absolute path
    ("abs_modifier_full_path", ["-f", "-/ /*/main.c", "-f", "-/ /**/deep/x.c",
                                "-f", "-/ util.h"], {}),
    # a dir-merge name with a directory part is joined to each directory as written
    ("dirmerge_name_with_dir", ["--filter=: inc/.r"], {"lib/inc/.r": "- h.h\n- a.so\n"}),
    ("abs_modifier_in_dirmerge", ["--filter=: .f"],
     {"src/.f": "-/ /**/deep/y.o\n-/ /util.h\n- /main.o\n"}),
]

ENV_OPTS = {"-0": ("from0", True), "-F": ("F", None), "-C": ("C", None)}


def _opts_from_args(args):
    out = []
    it = iter(args)
    for a in it:
        if a == "-f":
            out.append(("filter", next(it)))
        elif a == "-FF":
            out += [("F", None), ("F", None)]
        elif a in ENV_OPTS:
            out.append(ENV_OPTS[a])
        else:
            key, _, val = a[2:].partition("=")
            out.append((key, val))
    return out


def _build(root, merges):
    src = root / "src"
    for f in FILES:
        p = src / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(f.encode())
    for d in DIRS_ONLY:
        (src / d).mkdir(parents=True, exist_ok=True)
    for rel, text in merges.items():
        if text is None:
            continue
        p = (src / rel).resolve()
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode())
    return src


def _walk_ours(src, rules):
    def read(rel):
        p = os.path.join(src, os.fsdecode(rel))
        try:
            with open(p, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    w = rules.walker(read, os.fsencode(src))
    kept = set()

    def visit(rel):
        w.enter_dir(rel)
        full = os.path.join(src, os.fsdecode(rel)) if rel else str(src)
        for name in sorted(os.listdir(full)):
            child = (rel + b"/" if rel else b"") + os.fsencode(name)
            is_dir = os.path.isdir(os.path.join(full, name))
            if w.excluded(child, is_dir):
                continue
            kept.add(child.decode())
            if is_dir:
                visit(child)
        w.leave_dir()

    visit(b"")
    return kept


def _upstream(src, args, home):
    env = {"PATH": os.environ.get("PATH", "/usr/bin"), "HOME": str(home), "LC_ALL": "C"}
    out = subprocess.run(
        [RSYNC, "-r", "--list-only", *args, "./"], cwd=src, env=env, capture_output=True, check=True
    ).stdout.decode()
    names = set()
    for line in out.splitlines():
        name = line.split(None, 4)[4]
        if name != ".":
            names.add(name)
    return names


def test_battery_has_at_least_sixty_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 60


def test_word_split_prefix_then_space_is_an_error_in_both(tmp_path):
    # upstream 3.5.0 splits "- *.c" into "-" and "*.c" and rejects the bare "-"
    src = _build(tmp_path, {"src/.rules": "- *.c"})
    env = {"PATH": "/usr/bin", "HOME": str(tmp_path), "LC_ALL": "C"}
    r = subprocess.run(
        [RSYNC, "-r", "--list-only", "--filter=:w .rules", "./"],
        cwd=src,
        env=env,
        capture_output=True,
    )
    assert r.returncode == 1
    rules = FilterRules.from_options([("filter", ":w .rules")])
    w = rules.walker(lambda p: b"- *.c" if p == b"src/.rules" else None)
    w.enter_dir(b"")
    with pytest.raises(FilterSyntaxError):
        w.enter_dir(b"src")


@pytest.mark.parametrize("name,args,merges", CASES, ids=[c[0] for c in CASES])
def test_filter_set_matches_upstream_list_only(tmp_path, name, args, merges):
    src = _build(tmp_path, merges)
    home = tmp_path / "home"
    home.mkdir()

    def read_global(p):
        path = p if os.path.isabs(os.fsdecode(p)) else os.path.join(src, os.fsdecode(p))
        try:
            with open(path, "rb") as fh:
                return fh.read()
        except OSError:
            return None

    rules = FilterRules.from_options(_opts_from_args(args), read_file=read_global, environ={})
    ours = _walk_ours(src, rules.for_sender())
    theirs = _upstream(src, args, home)
    assert ours == theirs


@pytest.mark.parametrize("args", [["-C"], ["-f-C"], ["-f", ":C", "-f", "-C"], ["-f-C", "-C"]])
def test_cvs_exclude_rule_brings_home_and_environment_lists(tmp_path, args):
    """A "-C" rule (from -C or given with -f) adds the default CVS list, then
    ~/.cvsignore and $CVSIGNORE, as upstream's get_cvs_excludes does."""
    import sys
    oc_flist = os.path.join(os.path.dirname(sys.executable), "oc-flist")
    src = tmp_path / "s"
    (src / "sub").mkdir(parents=True)
    for name in ("a.junk", "b.o", "keep", "homeex", "sub/c.junk", "sub/.cvsignore", "sub/d"):
        (src / name).write_text("x")
    (src / "sub" / ".cvsignore").write_text("d\n")
    (tmp_path / ".cvsignore").write_text("homeex\n")
    env = {**os.environ, "HOME": str(tmp_path), "CVSIGNORE": "*.junk"}
    want = subprocess.run([RSYNC, "-r", "--list-only", *args, f"{src}/"], env=env,
                          capture_output=True).stdout
    got = subprocess.run([oc_flist, "-r", *args, f"{src}/"], env=env,
                         capture_output=True).stdout
    assert got == want and b"keep" in want and b"homeex" not in want and b".junk" not in want
