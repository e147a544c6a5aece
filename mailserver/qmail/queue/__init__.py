"""qmail's queue (/var/qmail/queue), read and changed as qmail's own programs would.

One module per concept:

- where each file of a message lives, from its number and conf-split: :mod:`.layout`;
- the byte formats of todo/intd, info, local/remote and bounce files: :mod:`.records`;
- reading them with the safe reader's rules: :mod:`.reader`;
- one message as qmail-qread shows it, and more: :mod:`.message`, :mod:`.routing` (the channel of a
  recipient not yet preprocessed), :mod:`.schedule` (qmail-send's retry times and queuelifetime),
  :mod:`.content` (headers and a capped body);
- qmail-qstat's and qmail-qread's output, byte for byte: :mod:`.qread`;
- the cached index behind counts and searches: :mod:`.index`, :mod:`.listing`;
- the read-only check (queue-repair's test mode): :mod:`.check`, :mod:`.structure`, :mod:`.report`;
- changes, only with qmail-send stopped and locked out (:mod:`.sendlock`): :mod:`.changes` (choose,
  stop, choose again, change, restart), :mod:`.removal`, :mod:`.expiry`; a reset in the guide's seven
  steps: :mod:`.reset`, :mod:`.install` (a fresh queue as qmail's install makes it);
- the test message through qmail-inject: :mod:`.inject`;
- the mail host's figures for the dashboard: :mod:`.system`;
- messages written in qmail's exact format, for the bench and tests: :mod:`.writer`.

The agent (mailserver/agent/queue_ops.py) and the ``mailqueue`` command (:mod:`.cli`) use the same
functions; :mod:`.request` validates what either is asked, as the page's forms will.
"""
