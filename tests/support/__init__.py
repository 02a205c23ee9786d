"""Helpers shared by tests (not a test module itself)."""
