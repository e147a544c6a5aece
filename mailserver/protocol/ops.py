"""Every operation an agent offers, by the one name both sides use.

The panel sends ``Op.MTA_WRITE_CONTROLS``; the agent registers its handler under the
same member, so a search for the name finds both ends. Whether an operation only
reads is said here, once: a read that times out asks for a shorter period, a write
that times out is "not confirmed".
"""

from __future__ import annotations

from enum import StrEnum


class Op(StrEnum):
    PING = "agent.ping"
    SERVICE_STATUS = "agent.service.status"
    SERVICE_CONTROL = "agent.service.control"
    SERVICE_BOOT = "agent.service.boot"
    MTA_READ_STATE = "agent.mta.read_state"
    MTA_WRITE_CONTROLS = "agent.mta.write_controls"
    MTA_WRITE_SMTPD = "agent.mta.write_smtpd"
    LOGS_REPORT = "agent.logs.report"
    LOGS_MESSAGE = "agent.logs.message"
    RESTORE_FILE = "agent.restore.file"
    QUEUE_STATS = "agent.queue.stats"
    QUEUE_LIST = "agent.queue.list"
    QUEUE_MESSAGE = "agent.queue.message"
    QUEUE_CHECK = "agent.queue.check"
    QUEUE_PURGE = "agent.queue.purge"
    QUEUE_DELETE = "agent.queue.delete"
    QUEUE_EXPIRE = "agent.queue.expire"
    QUEUE_RESET = "agent.queue.reset"
    QUEUE_PROCESS = "agent.queue.process"
    QUEUE_INJECT = "agent.queue.inject"

    @property
    def reads_only(self) -> bool:
        return self in _READS

    @property
    def slow_read(self) -> bool:
        """Reads whose time grows with the data (a week of logs), not with the page."""
        return self in _SLOW_READS


_READS = frozenset({Op.PING, Op.SERVICE_STATUS, Op.MTA_READ_STATE, Op.LOGS_REPORT, Op.LOGS_MESSAGE})
_READS |= {Op.QUEUE_STATS, Op.QUEUE_LIST, Op.QUEUE_MESSAGE, Op.QUEUE_CHECK}
_SLOW_READS = frozenset({Op.LOGS_REPORT, Op.LOGS_MESSAGE, Op.QUEUE_LIST, Op.QUEUE_CHECK})
