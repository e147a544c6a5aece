"""How the dashboard words what the agent answers: uptimes, badge colours, the host's figures."""

from __future__ import annotations

import pytest

from mailserver.dashboard.present import duration, service_rows, system_figures
from mailserver.services import registry

PAGES = {"mta": "/mailserver/mta/", "mda": "/mailserver/mda/", "spam": "/s/", "virus": "/v/"}


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (7, "7 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h 0 min"),
        (93784, "1 day 2 h"),
        (2 * 86400, "2 days 0 h"),
    ],
)
def test_a_duration_is_said_in_its_two_largest_units(seconds, said):
    assert duration(seconds) == said


def test_each_service_gets_its_state_colour_and_how_long_it_has_been_up_or_down():
    statuses = {
        "qmail-smtpd": {"state": "up", "seconds": 93784},
        "qmail-send": {"state": "down", "seconds": 300},
        "spamd": {"state": "not installed", "seconds": 0},
        "clamd": {"state": "failing", "seconds": 1},
    }
    rows = {row.name: row for row in service_rows(statuses, PAGES)}
    assert list(rows) == list(registry.NAMES)  # every registered service, in the registry's order
    assert (rows["qmail-smtpd"].tone, rows["qmail-smtpd"].uptime) == ("success", "1 day 2 h")
    assert (rows["qmail-send"].tone, rows["qmail-send"].uptime) == ("danger", "5 min")
    assert (rows["spamd"].tone, rows["spamd"].uptime) == ("secondary", "")  # grey, not red
    assert (rows["clamd"].tone, rows["clamd"].uptime) == ("danger", "")
    assert (rows["freshclam"].state, rows["freshclam"].tone) == ("unknown", "secondary")  # not reported
    assert rows["spamd"].page_url == "/s/"


def test_little_room_left_for_the_queue_is_flagged_and_no_inode_table_is_not():
    figures = system_figures(
        {
            "load": [0.5, 0.25, 1.0],
            "cpus": 2,
            "memory": {"total": 8 << 30, "available": 6 << 30, "percent": 25.0},
            "queue_fs": {
                "total_bytes": 100 << 30,
                "free_bytes": 9 << 30,
                "total_inodes": 0,
                "free_inodes": 0,
            },
        }
    )
    assert figures["load"] == ["0.50", "0.25", "1.00"]
    assert (figures["free_space"], figures["space_low"]) == (9, True)
    assert (figures["inodes_counted"], figures["inodes_low"]) == (False, False)  # btrfs has no inode table
