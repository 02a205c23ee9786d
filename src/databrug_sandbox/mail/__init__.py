"""The sandbox mail catcher: an SMTP server keeping the last messages in memory, shown on a page."""
