"""The one hardened reader per serialisation (XML, JSON) that every parser loads hostile bytes with."""
