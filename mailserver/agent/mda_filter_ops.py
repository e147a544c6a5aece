"""Registers the operations of the MDA, Spam Filtering and Virus Filtering pages (one import in worker.py)."""

import mailserver.agent.autorestart_ops
import mailserver.agent.mda_ops
import mailserver.agent.simscan_ops
import mailserver.agent.spam_ops
import mailserver.agent.training_ops
import mailserver.agent.virus_ops  # noqa: F401
