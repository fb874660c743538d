"""BATCH.sh, the replay script upstream writes beside a batch: ours is the same text for
the same command line, and we read upstream's back."""
import subprocess

import pytest
from oc_wire.batch_script import batch_script, read_batch_script

CASES = [
    (["-a"], [], []),
    (["-a", "--exclude=*.o", "-f", "+ keep/", "-v"], [], ["- *.o", "+ keep/"]),
    (["-rt", "--include", "*.c", "--exclude", "*", "--protocol=28"], [], ["+ *.c", "- *"]),
    (["-a", "--compress-level=3", "--no-whole-file", "--checksum-seed=9"], [], []),
    (["--recursive", "--times", "--exclude=it's"], [], ["- it's"]),
]


@pytest.mark.parametrize("opts,_unused,rules", CASES)
@pytest.mark.parametrize("batch_opt", ["--write-batch", "--only-write-batch"])
def test_script_equals_upstreams(upstream_rsync, tmp_path, opts, _unused, rules, batch_opt):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_bytes(b"x")
    batch = "it's batch"
    argv = [upstream_rsync, *opts, f"{batch_opt}={batch}", "src/", "dst/"]
    subprocess.run(argv, cwd=tmp_path, check=True, capture_output=True)
    theirs = (tmp_path / (batch + ".sh")).read_text()
    protocol = 28 if "--protocol=28" in opts else 32
    assert batch_script(argv, ["src/", "dst/"], rules, protocol) == theirs
    parsed = read_batch_script(theirs)
    assert parsed.dest == "dst/" and parsed.rules == rules
    assert f"--read-batch={batch}" in parsed.argv and "src/" not in parsed.argv


def test_remote_destination_loses_its_host_and_split_batch_arg():
    text = batch_script(["rsync", "-a", "--write-batch", "b", "src", "host:/x/y"],
                        ["src", "host:/x/y"], [], 32)
    assert text == "'rsync' '-a' --read-batch 'b' ${1:-'/x/y'}\n"


def test_newline_in_a_rule_is_refused():
    with pytest.raises(ValueError, match="newline"):
        batch_script(["rsync", "--write-batch=b", "s", "d"], ["s", "d"], ["- a\nb"], 32)
