"""The only place that imports FastAPI/Starlette/Jinja: provider API, citizen pages, app."""
