"""Command lines upstream 3.5.0 refuses (or takes) as it parses them, against Debian's
rsync: the words on standard error (its source location left out) and the exit code,
in a local copy. popt's integers ("--timeout=5x: invalid numeric value", the value
alone when it came as the next word, 0x and leading-zero octal, out of an int's range),
parse_size_arg's sizes ("--max-size=-5 is too large", "(max: 128.00K)", "(min: 512 or 0
for unlimited)", "KB"/"KiB"/"+1"), the names --compress-choice and --checksum-choice
take (exit 4), --info's and --debug's words (their lines have no "rsync:" before them),
--delete without -r or -d.

Before, each bad value said "--NAME value is invalid: VALUE", sizes took no "+1" nor a
trailing "b" for bytes (nor refused a negative or too large one), --debug and the
choice names took anything, and --delete ran without -r."""
import re
import subprocess

import pytest
from test_rsync_interop import OC, RSYNC

CASES = ["--delete", "-d --delete", "--files-from=list --delete", "--max-delete=x -r",
         "--max-delete=-5 -r", "--timeout=abc", "--timeout abc", "--timeout=", "--timeout=0x10",
         "--timeout=010", "--timeout=99999999999", "--timeout=-3", "--contimeout=x",
         "--compress-level=0x", "--protocol=x", "--checksum-seed=1e3",
         "--compress-choice=bogus -z", "--compress-choice=ZSTD", "--zc=zlib,zstd",
         "--checksum-choice=bogus", "--checksum-choice=md5,bogus", "--cc=MD5,md4",
         "--cc=md5,md4,sha1", "--max-size=abc", "--max-size=-5", "--max-size=1.5k",
         "--min-size=", "--min-size=1q", "--max-size=1kb+1", "--max-size=2KiB-1",
         "--max-size=3-1", "--block-size=200000", "--block-size=1k", "-B x",
         "--protocol=29 --block-size=9000", "--bwlimit=100b", "--bwlimit=0", "--bwlimit=1.5m",
         "--bwlimit=x", "--modify-window=x", "--info=bogus", "--info=name,bogus",
         "--debug=bogus", "--debug=del --debug=bogus", "--debug=DEL5",
         "--delay-updates --inplace", "--append --delay-updates --partial-dir=p",
         "--inplace --partial-dir=p"]


def _said(r) -> tuple[int, list[str]]:
    text = r.stderr.replace("oc-rsync", "rsync")
    text = re.sub(r" at \S+\.c\(\d+\) \[\w+=[\d.]+\]", "", text)
    return r.returncode, text.splitlines()


@pytest.mark.parametrize("opts", CASES)
def test_option_errors_as_upstream_words_them(tmp_path, opts):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_bytes(b"a\n")
    (tmp_path / "list").write_bytes(b"a\n")
    got = []
    for prog, dst in ((RSYNC, "up"), (OC, "oc")):
        r = subprocess.run([prog, *opts.split(), "src/", f"{dst}/"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
        got.append(_said(r))
    assert got[1] == got[0]


def test_no_operands_print_the_usage_on_standard_error(tmp_path):
    """No source or destination: the help on standard error, nothing on standard
    output, exit 1 (upstream: usage(FERROR)); the help's text is our own."""
    got = []
    for prog in (RSYNC, OC):
        r = subprocess.run([prog, "-a"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60)
        code, lines = _said(r)
        got.append((code, r.stdout, lines[-1], len(lines) > 20))
    assert got[1] == got[0]


@pytest.mark.parametrize("choice", ["--zc=auto", "--zc=ZSTD", "--zc=None", "-z --zc=Zlib",
                                    "--cc=auto", "--cc=MD5", "--cc=md5,xxh3", "--cc=XXH3"])
@pytest.mark.parametrize("server", ["upstream", "oc"])
def test_choice_names_in_any_case_and_auto(tmp_path, server, choice):
    """--compress-choice and --checksum-choice in any case, "auto" as not given, a
    checksum pair's transfer half: a pull ends as upstream's client's does (ours
    failed with a KeyError or "expected a checksum name" for these)."""
    from test_rsync_interop import _snapshot, _stub
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_bytes(b"a" * 5000)
    got = []
    for prog, dst in ((RSYNC, "up"), (OC, "oc")):
        r = subprocess.run([prog, "-a", *choice.split(), "-e", _stub(tmp_path),
                            f"--rsync-path={OC if server == 'oc' else RSYNC}",
                            f"localhost:{tmp_path}/src/", f"{dst}/"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
        got.append((r.returncode, _snapshot(tmp_path / dst, True, True)))
    assert got[1] == got[0] and got[0][0] == 0


@pytest.mark.parametrize("rule", ["--exclude=" + "Q" * 4096, "--exclude=" + "Q" * 4095 + "/",
                                  "--filter=- " + "Q" * 4100, "--include=" + "Q" * 4095],
                         ids=["4096", "4095-and-slash", "filter-4100", "4095"])
def test_an_over_long_filter_argument_is_discarded_as_upstream_says(tmp_path, rule):
    """A rule given as an argument whose pattern (with a trailing '/') is MAXPATHLEN
    long or more: "discarding over-long filter: PATTERN", the rule dropped, exit 0; one
    byte shorter it is kept in silence (upstream: exclude.c parse_filter_str)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_bytes(b"a\n")
    got = []
    for prog, dst in ((RSYNC, "up"), (OC, "oc")):
        r = subprocess.run([prog, "-r", rule, "src/", f"{dst}/"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
        got.append(_said(r))
    assert got[1] == got[0]
    assert (got[0][1] != []) == (rule != "--include=" + "Q" * 4095)
