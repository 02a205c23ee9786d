"""Delivery (docs/design.md §3 rules 4–5, §6): package build, JWE sealing, signed webhooks with retries,
receipts.

Framework-free; ``web/`` maps the errors' ``code`` to HTTP and wires the outbox to the session store.

- ``package``: ``build_package`` (refuses a subject without matching consent), ``package_bytes``
- ``jwe``: ``seal_package`` to the provider's JWKS (key by ``kid``, rotation, size limit)
- ``webhooks``: Standard Webhooks signing, ``WebhookSender`` (backoff + full jitter for the pick-up window)
- ``outbox``: the ``Outbox`` port and ``MemoryOutbox``
- ``receipts``: ES256-signed deletion receipts
- ``events``: ``package.ready`` / ``package.deleted`` event builders
"""
