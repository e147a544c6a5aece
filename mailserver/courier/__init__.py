"""Courier IMAP for the panel, with no Django: its shell-style configuration files."""
