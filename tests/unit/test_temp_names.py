"""Temp file names as upstream's receiver.c get_tmpname makes them: ".NAME.XXXXXX" beside
the final name (one leading dot of NAME dropped), "NAME.XXXXXX" in a --temp-dir, NAME cut
to 246 bytes (never inside a multibyte character) and one trailing dot dropped."""
import re

import pytest
from oc_rsync.install import temp_name

TAIL = rb"\.[A-Za-z0-9]{6}"
E2 = "\u00e9".encode()  # two bytes, both with the high bit


@pytest.mark.parametrize("base, beside, in_dir", [
    (b"a", b".a", b"a"), (b".a", b".a", b".a"), (b"..a", b"..a", b"..a"),
    (b"a.", b".a", b"a"), (b"a..", b".a.", b"a."), (b".b.", b".b", b".b"),
    (b"x" * 300, b"." + b"x" * 246, b"x" * 246),
    (b"x" * 245 + E2, b"." + b"x" * 245, b"x" * 245),      # cut inside the character
    (b"x" * 244 + E2 + b"y", b"." + b"x" * 244 + E2, b"x" * 244 + E2),  # cut after it
    (b"x" * 245 + b"." + b"z", b"." + b"x" * 245, b"x" * 245),
])
def test_temp_names_as_upstream_makes_them(base, beside, in_dir):
    assert re.fullmatch(b"d/" + re.escape(beside) + TAIL, temp_name(b"d", base))
    assert re.fullmatch(re.escape(in_dir) + TAIL, temp_name(b"", base, True))
    assert len(temp_name(b"", base)) <= 254
