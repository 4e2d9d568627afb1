"""WSGI entry point: `gunicorn wsgi:app`."""
from eventkit import create_app

app = create_app()
