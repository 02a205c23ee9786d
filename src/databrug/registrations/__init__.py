"""Provider registrations: who may create sessions, where packages and webhooks go, with which keys."""
