"""Session state machine, tokens, pairing; the SessionStore port with memory and Redis adapters.

Framework-free: ``web/`` builds routes, SSE and pages on top of ``SessionService`` (``service.py``, with
``pairing.py`` and ``watch.py``) and maps each ``SessionError.code`` to HTTP. ``bootstrap`` picks the store
(``MemorySessionStore`` or ``RedisSessionStore.from_url``). See docs/sessions.md. Import from the modules.
"""
