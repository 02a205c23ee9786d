"""Session state machine, tokens, pairing; the SessionStore port with memory and Redis adapters."""
