"""Provider-side client: create sessions, verify webhooks, decrypt packages."""
