"""WSGI entry point for gunicorn: ``gunicorn omnialloc.api.wsgi:app``."""

from omnialloc.api import create_app

app = create_app()
