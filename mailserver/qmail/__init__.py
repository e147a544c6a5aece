"""A pure-Python library for the files and programs of a qmail mail host.

One module per concept (control files, run scripts, services, queue, logs).
Nothing here imports Django: the agent and the command-line tools use it as
they are, and the Django forms call the same validators.
"""
