"""What the broker tells its operators about itself, never about a citizen: traces (``tracing``)."""
