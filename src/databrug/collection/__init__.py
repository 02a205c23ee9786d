"""Collection: fetch each source with the citizen's DigiD token, parse off the event loop, merge, review."""
