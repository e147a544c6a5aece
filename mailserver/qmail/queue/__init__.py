"""qmail's queue (/var/qmail/queue), read and changed as qmail's own programs would.

One module per concept: where each file of a message lives (:mod:`.layout`), the byte formats
(:mod:`.records`), reading with the safe reader (:mod:`.reader`), one message (:mod:`.message`),
the retry schedule (:mod:`.schedule`), the cached index behind counts and searches
(:mod:`.index`, :mod:`.listing`), headers and body (:mod:`.content`), the read-only check
(:mod:`.check`), and the changes, which run only with qmail-send stopped (:mod:`.sendlock`,
:mod:`.removal`, :mod:`.expiry`, :mod:`.install`). The agent and the ``mailqueue`` command
(:mod:`.cli`) use the same functions; :mod:`.request` validates what either is asked.
"""
