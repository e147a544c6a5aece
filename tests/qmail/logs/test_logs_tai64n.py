"""TAI64N stamps decode the way daemontools' tai64nlocal prints them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mailserver.qmail.errors import InvalidValue
from mailserver.qmail.logs import tai64n


def test_it_decodes_the_documented_stamp(tool_env: dict[str, str]) -> None:
    # log-lines.md: @400000006b06e3ab24a81a14 is 2026-11-25 13:33:21 UTC. tai64nlocal prints the fraction
    # as .614996500 (0x24a81a14 = 614996500 ns), which is what we print too.
    assert tai64n.decode("@400000006b06e3ab24a81a14") == (1795613601, 614996500)
    assert tai64n.tai64nlocal("@400000006b06e3ab24a81a14 x") == "2026-11-25 13:33:21.614996500 x"
    assert tai64n.format_local(1795613601.61) == "2026-11-25 13:33:21"


def test_it_uses_the_daemontools_offset_not_the_leap_second_table() -> None:
    assert tai64n.to_unix(b"400000000000000a00000000") == 0.0
    assert tai64n.encode(0.0) == b"400000000000000a00000000"
    assert tai64n.stamp(1795613601.5) == "@400000006b06e3ab1dcd6500"  # float seconds: ~0.2 us precision


def test_it_round_trips_times() -> None:
    for unix in (0.0, 1320438841.0, 1795613601.614996, 1795614120.5):
        assert abs(tai64n.to_unix(tai64n.encode(unix)) - unix) < 1e-6


def test_labels_sort_like_the_times_they_encode() -> None:
    times = [1320438841.0, 1320438841.000001, 1795613601.5, 1795613602.0]
    labels = [tai64n.encode(t) for t in times]
    assert labels == sorted(labels)


@pytest.mark.parametrize("bad", ["", "@4000", "@400000006B06E3AB24A81A14", "@40000000xb06e3ab24a81a14"])
def test_it_refuses_what_is_not_a_label(bad: str) -> None:
    with pytest.raises(InvalidValue):
        tai64n.decode(bad)


def test_lines_without_a_stamp_pass_through_like_tai64nlocal() -> None:
    assert tai64n.tai64nlocal("no stamp here") == "no stamp here"


@pytest.mark.skipif(shutil.which("tai64nlocal") is None, reason="daemontools' tai64nlocal is not installed")
def test_every_fixture_line_converts_exactly_like_tai64nlocal(
    send_log: Path, tool_env: dict[str, str]
) -> None:
    lines = b"".join(p.read_bytes() for p in sorted(send_log.iterdir()))
    expected = subprocess.run(
        ["tai64nlocal"], input=lines, capture_output=True, check=True, env={"TZ": "UTC"}
    ).stdout.decode()
    ours = [tai64n.tai64nlocal(line) for line in lines.decode("latin-1").splitlines()]
    assert len(ours) == 3861
    assert ours == expected.splitlines()
