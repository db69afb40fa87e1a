"""WSGI entry point: `gunicorn wsgi:app` (GREENAPP_ENV=production in production)."""

from greenapp import create_app

app = create_app()
