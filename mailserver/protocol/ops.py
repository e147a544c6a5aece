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
    LOGS_PROGRESS = "agent.logs.progress"
    LOGS_CANCEL = "agent.logs.cancel"
    LOGS_INDEX = "agent.logs.index"
    LOGS_RETENTION = "agent.logs.retention"
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
    QUEUE_RESET_PROGRESS = "agent.queue.reset_progress"
    SERVICE_AUTO_RESTART = "agent.service.auto_restart"
    SERVICE_SETUP = "agent.service.setup"
    MDA_READ_STATE = "agent.mda.read_state"
    MDA_WRITE = "agent.mda.write"
    SPAM_READ_STATE = "agent.spam.read_state"
    SPAM_CHECK = "agent.spam.check"
    SPAM_WRITE = "agent.spam.write"
    SPAM_WRITE_TRAINING = "agent.spam.write_training"
    SPAM_TRAIN_NOW = "agent.spam.train_now"
    SPAM_SCAN_GTUBE = "agent.spam.scan_gtube"
    SIMSCAN_WRITE = "agent.simscan.write"
    VIRUS_READ_STATE = "agent.virus.read_state"
    VIRUS_SCAN_EICAR = "agent.virus.scan_eicar"
    MAIL_ALERTS = "agent.mail.alerts"

    @property
    def reads_only(self) -> bool:
        return self in _READS

    @property
    def slow_read(self) -> bool:
        """Reads whose time grows with the data (a week of logs), not with the page."""
        return self in _SLOW_READS


_READS = frozenset({Op.PING, Op.SERVICE_STATUS, Op.MTA_READ_STATE, Op.LOGS_REPORT, Op.LOGS_MESSAGE})
_READS |= {Op.LOGS_PROGRESS, Op.LOGS_INDEX}  # the delivery index's status; a long report's progress
_READS |= {Op.QUEUE_STATS, Op.QUEUE_LIST, Op.QUEUE_MESSAGE, Op.QUEUE_CHECK}
_READS |= {Op.QUEUE_RESET_PROGRESS}  # the steps a reset under way has done so far
_READS |= {Op.MDA_READ_STATE, Op.SPAM_READ_STATE, Op.SPAM_CHECK, Op.SPAM_SCAN_GTUBE, Op.VIRUS_READ_STATE}
_READS |= {Op.VIRUS_SCAN_EICAR, Op.MAIL_ALERTS}
_SLOW_READS = frozenset({Op.LOGS_REPORT, Op.LOGS_MESSAGE, Op.QUEUE_LIST, Op.QUEUE_CHECK})
