"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from app import create_app
from app.services.recommendations.item_model import holder

app = create_app()
# Load (or fit) the item model in a background thread as the worker starts, not in a request.
holder(app).refresh()
