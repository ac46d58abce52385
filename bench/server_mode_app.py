"""The app that bench/http_load.py --modes server serves with gunicorn: wsgi.py's, vectors in memory.

    QDRANT_LOCATION=":memory:" gunicorn -c gunicorn.conf.py bench.server_mode_app:app

No Qdrant server can run on the bench machine, so each worker holds its own in-memory store
(qdrant-client's local mode) and fills it from the vectors in SQL as it starts, one worker at a
time since the sync writes SQL rows: tests/two_workers_app.py does the same. Unlike that module it
keeps the real embedder (sentence-transformers, warmed up as in production): the bench's stall
probe saves a profile with new text, and the server mode is to be compared with the embedded one
serving the same model, not with a hashing double. The sync itself calls no model for the seeded
catalog: the song and user vectors are read back from SQL.
"""

import os
import sys

from app import create_app
from app.services.indexing.sync import sync_index
from app.services.ops.background import JobLock
from app.services.recommendations.item_model import holder
from bench.load_client import SERVER_READY

app = create_app()
with app.app_context(), JobLock("bench-vector-sync", app.config["REDIS_URL"]).held():
    sync_index()
holder(app).refresh()  # as wsgi.py: load or fit the item model in a background thread
# bench/http_load.py waits for this line from every worker: the first one answers while the other
# is still filling its store, and a measurement started then would share the CPU with that start.
print(f"{SERVER_READY} {os.getpid()}", file=sys.stderr, flush=True)
