"""Gezondverzekerd.nl-like demo provider: site, back office, eligibility; integrates via databrug.sdk."""
