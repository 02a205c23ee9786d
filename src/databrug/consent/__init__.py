"""Consent statements and consent records."""
