"""The demo provider (Gezondverzekerd.nl-like) site and back office."""
