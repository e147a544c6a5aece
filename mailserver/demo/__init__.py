"""The self-contained demo mail server: a qmail-shaped tree built from real data."""
