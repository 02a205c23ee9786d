"""Source connectors: one subpackage per government source, each a client (fetch) and a pure parser."""
