"""SpamAssassin for the panel, with no Django: its site configuration, lint, spamd.

- :mod:`.settings`: the guide's settings and how SpamAssassin reads each value.
- :mod:`.localcf`: the ``local.cf`` the panel writes, read back (the panel's or anybody's).
- :mod:`.lint`: ``spamassassin --lint`` on a candidate copy of the site directory, its
  complaints mapped back to the page's fields.
- :mod:`.changes`: one validation of a change, for the form and the agent.
- :mod:`.spamd`: spamd's run script, and talking to a running spamd (PING, CHECK).
"""
