"""How gunicorn serves Songbird: used by `make run`, the Dockerfile and bench/http_load.py.

    gunicorn -c gunicorn.conf.py wsgi:app

Every setting below can be overridden without editing this file, in this order of precedence
(gunicorn's own): command-line flags, then GUNICORN_CMD_ARGS (e.g. "--threads 4 --timeout 60"),
then the environment variables read here:

    GUNICORN_WORKERS    worker processes (default: 1 with an embedded store; see `workers`)
    GUNICORN_THREADS    threads per worker (default: 2; see `threads`)
    GUNICORN_BIND       address to listen on (default 127.0.0.1:8000; `make run` passes HOST:PORT)
    GUNICORN_TIMEOUT    seconds before a silent worker is killed and replaced (default 60)
    GUNICORN_GRACEFUL_TIMEOUT  seconds a stopping worker has to finish its requests (default 30)
    GUNICORN_ACCESSLOG  where access lines go: "-" stdout (default), a file, or "" for none
    GUNICORN_LOGLEVEL   debug, info (default), warning, error
    GUNICORN_CONTROL_SOCKET  a path for gunicornc's control socket (default: none, see below)

Names starting with "_" are helpers: gunicorn reads only the names of its settings.
"""

import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cores():
    """The cores this process may run on (a container's cpuset, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


# Server mode (QDRANT_URL) keeps the vectors in a Qdrant server that any number of processes share.
# Otherwise the vectors live in this process: Qdrant Edge shards (VECTORS_PATH) or a qdrant-client
# local-mode folder (QDRANT_LOCATION), and neither can be opened by a second process. The exception
# is QDRANT_LOCATION=":memory:": each worker then holds its own store in memory, filled from SQL
# (tests/two_workers_app.py does it), which several workers can do side by side; the tests use it
# to run several workers where no Qdrant server can run (README, "Several workers").
_SERVER_MODE = bool(os.environ.get("QDRANT_URL", "").strip())
_IN_MEMORY = not _SERVER_MODE and os.environ.get("QDRANT_LOCATION", "").strip() == ":memory:"

# Workers. Embedded mode: exactly 1. A Qdrant Edge shard allows one process per shard folder (a
# second worker fails to open its WAL, "WouldBlock", and the master exits), and a local-mode folder
# refuses a second client the same way; `on_starting` below refuses more than one, however it was
# asked for. In memory (":memory:"): 1 unless asked for more, which is allowed. Server mode: one
# worker per core, at most 8. Each worker is one Python interpreter (the GIL caps it near one core)
# that loads its own copy of the sentence-transformers model, about 0.5 GB each, so more processes
# than cores buy memory use rather than throughput (the recommendation cache is shared through
# Redis when REDIS_URL is set, else each keeps its own). WORKERS is still read: docker-compose.yml sets it.
if _SERVER_MODE:
    workers = _int("GUNICORN_WORKERS", _int("WORKERS", min(_cores(), 8)))
else:
    workers = _int("GUNICORN_WORKERS", 1)

# Threads per worker (the gthread worker): 2. Chosen with bench/http_load.py at 8 clients on the
# demo catalog (Qdrant Edge, 1 worker, cache on; each setting restarted in turn, every other round in
# reverse order; medians of 2 rounds of 10 s; 2 cores, the load generator on the same machine):
#
#   threads                                     1               2               4
#   slowest GET beside the first profile save   8.2-9.2 s       0.16-0.20 s     0.18-0.23 s
#     after a start (8-9 s: it waits for the model)
#   mix with likes/ratings: req/s (worst p95)   58.0 (204 ms)   59.4 (238 ms)   48.9 (394 ms)
#   bare Flask JSON / 24-card page, req/s       813 / 247       606 / 186       603 / 179
#   req/s (share of bare; p95 ms):
#     For you tab (htmx)                        118 (49%; 89)   99 (53%; 101)   101 (56%; 114)
#     For you page                              106 (44%; 94)   96 (51%; 107)   84 (47%; 138)
#     API for_you                               203 (25%; 51)   201 (33%; 56)   188 (31%; 68)
#     API knowledge                             198 (24%; 51)   201 (33%; 57)   205 (34%; 62)
#     browse                                    56 (23%; 182)   49 (26%; 191)   44 (24%; 254)
#
# One thread lets a single long request stall the only worker: the first profile save after a start
# waits for the model and every other request waited as long. With two, the others were served
# beside it, and the mix ran as fast as with one (earlier runs on a busier machine agreed: mix
# 41-45 req/s at 2 threads, 44-46 at 1; cache misses: API for_you 30 req/s at 2, 41 at 1, 27 at 4).
# Four were slower with a worse p95, as issue 11 found (For you 64 requests/s and p99 200 ms at 4
# threads, 108 and 90 ms at 1): request threads share one GIL with each other and with the vector
# store's searches, so more of them only queue for it. (The shares rise with threads because the
# bare app slows down more than Songbird does: compare settings by requests/s and p95, not share.)
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread"

bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").strip() or "127.0.0.1:8000"]

# The app is imported in each worker after the fork, never in the master. create_app opens the
# vector store (one process per Edge shard: a shard opened in the master and inherited by the
# workers would be written by several processes behind one lock) and starts background threads
# (the model warm-up, the item model's fit) that a fork would leave behind in the master. Also
# enforced by `on_starting`.
preload_app = False

# A worker is replaced when it has not reported for this long. gthread workers report from their
# main loop while requests run in other threads, so this bounds a worker that is truly stuck, not a
# slow request. 60 rather than gunicorn's 30: a worker's start (imports of torch and
# sentence-transformers, about 5 s on an idle 2-core machine; opening the shards) can take several
# times longer on a busy machine, and a kill there means a restart loop.
timeout = _int("GUNICORN_TIMEOUT", 60)

# On stop or reload, in-flight requests get this long to finish before the worker is killed; the
# longest ones (a profile save while the model is still loading, 8-9 s) fit well within it, and the
# worker then closes its shards cleanly (a killed one replays the WAL at the next start).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# Access log on stdout (where `make run` and `docker compose logs` show it) with the time each
# request took in ms (%(M)s) added to gunicorn's default line. Each line is formatted and written
# by the worker, under its GIL; GUNICORN_ACCESSLOG="" turns it off (bench/http_load.py keeps it on,
# as served, for the app and the bare baseline alike).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-").strip() or None
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# Each worker touches a heartbeat file on every loop. In a container /tmp is often the image's
# overlay filesystem, where that write can block the worker for long enough to be killed; /dev/shm
# is memory. Left to gunicorn's default where /dev/shm is missing (macOS).
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"

# gunicorn 25+ opens a control socket for `gunicornc` at one path per user ($HOME/.gunicorn/
# gunicorn.ctl): a second server on the machine (the benchmark runs two, a developer may run
# `make run` twice) takes it over from the first, and its "worker add" command would start a second
# worker beside an embedded vector store. Off unless GUNICORN_CONTROL_SOCKET names a path for it.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket


def on_starting(server):
    """Refuse settings that would break the embedded vector store, whichever way they were given."""
    if server.cfg.preload_app:
        raise RuntimeError(
            "preload_app must stay off: the app opens the vector store and starts threads when it is "
            "imported, which must happen in each worker (see gunicorn.conf.py)."
        )
    if server.cfg.workers > 1 and not (_SERVER_MODE or _IN_MEMORY):
        raise RuntimeError(
            f"{server.cfg.workers} workers need QDRANT_URL: the embedded vector store (Qdrant Edge, or "
            "a QDRANT_LOCATION folder) can be opened by one process only. Serve 1 worker "
            "(GUNICORN_WORKERS=1), or set QDRANT_URL to a Qdrant server (docker compose up)."
        )
