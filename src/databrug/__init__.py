"""Databrug: a citizen hands verified financial data from Dutch government sources to a service provider."""

__version__ = "0.1.0"
