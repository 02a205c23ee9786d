"""The provider demo's web part (the only place in databrug.provider importing FastAPI and Jinja)."""
