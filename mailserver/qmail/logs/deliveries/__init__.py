"""The delivery index: qmail-send's log joined once into rows, kept up to date as it grows.

Reports over a gigabyte of log cost a full read of it every time; the index turns that into a
query of a columnar store. One row per delivery attempt and per message, joined exactly as the
streaming tools join (messages.py), so every report answers the same from either:

* rows.py: the joiner of messages.py, emitting rows (text for DuckDB) instead of objects;
* reading.py, load.py: log bytes into the joiner, its rows into Parquet (DuckDB);
* build.py: the first build, the log split between processes and the seams stitched;
* store.py: the store (a manifest of Parquet segments, the follower's state, the settings);
  segments.py: merging small segments, the retention;
* follow.py: reading new lines of ``current`` (and files rotated since) into the store;
* query.py: a period of the index as the streaming selection of it would join it;
* reports.py, ranked.py: the streaming tools' reports and the deferrals by cause from it.
"""
