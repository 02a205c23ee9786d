"""Source connectors: one subpackage per government source (client, parsers, connector), one registry
(``connectors``) and one hardened reader per serialisation (``reading``)."""
