"""ClamAV for the panel, with no Django: clamd and freshclam, their files and their answers.

- :mod:`.conf`: clamd.conf and freshclam.conf as ClamAV reads them.
- :mod:`.database`: the virus databases' headers (main, daily, bytecode) and local signatures.
- :mod:`.clamd`: a running clamd asked through pyclamd (ping, version, the EICAR test).
- :mod:`.freshclam`: freshclam's last update attempt and its result, from its log.
- :mod:`.scripts`: the run scripts the panel writes for clamd and freshclam.
"""
