"""The app that tests/test_two_workers.py serves with gunicorn: wsgi.py's, plus what the test needs.

    gunicorn -c gunicorn.conf.py tests.two_workers_app:app

Settings come from the environment as in production (DATABASE_URL, REDIS_URL, SECRET_KEY, ...).
Beside wsgi.py it:
- uses the test embedder double (tests/fakes.py): a worker cannot load the test's own, and the
  real model would cost each worker seconds and 0.5 GB;
- fills the worker's in-memory vector store (QDRANT_LOCATION=":memory:") from the vectors in SQL,
  one worker at a time (its sync writes SQL rows), as no Qdrant server can run in the tests;
- names the worker that answered in an X-Worker-Pid header;
- logs the app's INFO lines (the item model's "fitted" and "loaded") on stderr.
"""

import logging
import os
import sys

from app import create_app
from app.extensions import embedder
from app.services.indexing.sync import sync_index
from app.services.ops.background import JobLock
from app.services.recommendations.item_model import holder
from tests.fakes import HashingEmbedder

_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("[worker %(process)d] %(name)s: %(message)s"))
logging.getLogger("app").addHandler(_handler)
logging.getLogger("app").setLevel(logging.INFO)

app = create_app({"EMBEDDING_WARMUP": "off"})
embedder.override(app, HashingEmbedder())
with app.app_context(), JobLock("test-vector-sync", app.config["REDIS_URL"]).held():
    sync_index()
holder(app).refresh()  # as wsgi.py: load or fit the item model in a background thread


@app.after_request
def name_the_worker(response):
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response
