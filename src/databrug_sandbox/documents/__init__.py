"""Document renderers: each portal turns a persona's facts into the document in its source's real format."""
