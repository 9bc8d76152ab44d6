"""WSGI entry point for gunicorn: `gunicorn idbeheer.wsgi:app` (settings from the environment)."""
from .app import create_app
from .observability import configure_logging
from .settings import from_env

configure_logging()
app = create_app(from_env())
