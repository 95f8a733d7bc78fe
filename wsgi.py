"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
from siaga import create_app

app = create_app()
