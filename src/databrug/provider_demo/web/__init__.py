"""The provider demo's web part (the only place in databrug.provider_demo importing FastAPI and Jinja)."""
