"""JWE sealing, webhook push with retries, pick-up, acknowledgement, purge."""
