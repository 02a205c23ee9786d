"""Test personas: coherent synthetic households, generated from a seed or taken from the named catalogue."""
