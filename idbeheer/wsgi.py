"""WSGI entry point for gunicorn: `gunicorn idbeheer.wsgi:app` (settings from the environment)."""
from .app import create_app
from .settings import from_env

app = create_app(from_env())
