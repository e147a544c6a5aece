"""Helpers shared by the test suite (real daemons started for integration tests)."""
