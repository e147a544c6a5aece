"""The delivery index: qmail-send's log joined once into rows, kept up to date as it grows.

Reports over a gigabyte of log cost a full read of it every time; the index turns that into a
query of a columnar store. One row per delivery attempt and per message, joined exactly as the
streaming tools join (messages.py), so every report answers the same from either:

* rows.py: the joiner of messages.py, emitting rows (text for DuckDB) instead of objects;
* build.py: the first build, the log split between processes and the seams stitched;
* store.py: the store itself (Parquet segments, a manifest, the follower's state);
* follow.py: reading new lines of ``current`` (and files rotated since) into the store;
* query.py / reports.py: the streaming tools' reports, and the deferrals by cause, from the store.
"""
