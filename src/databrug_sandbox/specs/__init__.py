"""Public API specifications the sandbox documents are checked against (see SOURCE.md)."""
