"""gunicorn.conf.py: the settings it gives, the rules it enforces, and who uses it; the bench's bare app."""

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "gunicorn.conf.py"
ENV_NAMES = (
    "QDRANT_URL",
    "QDRANT_LOCATION",
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "WORKERS",
    "GUNICORN_BIND",
    "GUNICORN_ACCESSLOG",
    "GUNICORN_TIMEOUT",
    "GUNICORN_CONTROL_SOCKET",
    "GUNICORN_CMD_ARGS",
)


def load(monkeypatch, **env):
    """The config as gunicorn builds it from the file (gunicorn's own loader), in this environment."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from gunicorn.app.base import Application

    class Probe(Application):
        def load_config(self):  # only the file: no command line to parse
            self.load_config_from_file(str(CONF))

        def load(self):
            raise AssertionError("the config must not import the app")

    return Probe().cfg


def test_embedded_mode_serves_one_worker_with_threads(monkeypatch):
    cfg = load(monkeypatch)
    assert cfg.workers == 1
    assert cfg.threads > 1  # a long request (a profile save) must not stall the only worker
    assert cfg.worker_class_str == "gthread"
    assert cfg.preload_app is False
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.timeout >= 30 and cfg.graceful_timeout > 0
    assert cfg.accesslog == "-"
    assert cfg.control_socket_disable is True


def test_server_mode_serves_several_workers(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(4)), raising=False)
    assert load(monkeypatch, QDRANT_URL="http://qdrant:6333").workers == 4
    assert load(monkeypatch, QDRANT_URL="http://qdrant:6333", WORKERS="3").workers == 3  # docker-compose.yml
    assert load(monkeypatch, QDRANT_URL="http://qdrant:6333", GUNICORN_WORKERS="5").workers == 5


def test_in_memory_vectors_serve_one_worker_unless_asked_for_more(monkeypatch):
    assert load(monkeypatch, **IN_MEMORY).workers == 1
    assert load(monkeypatch, **IN_MEMORY, GUNICORN_WORKERS="2").workers == 2


def test_environment_overrides(monkeypatch):
    cfg = load(
        monkeypatch,
        GUNICORN_THREADS="4",
        GUNICORN_BIND="0.0.0.0:9000",
        GUNICORN_ACCESSLOG="",
        GUNICORN_TIMEOUT="90",
        GUNICORN_CONTROL_SOCKET="/tmp/songbird.ctl",
    )
    assert (cfg.threads, cfg.bind, cfg.accesslog, cfg.timeout) == (4, ["0.0.0.0:9000"], None, 90)
    assert cfg.control_socket_disable is False and cfg.control_socket == "/tmp/songbird.ctl"


SERVER = {"QDRANT_URL": "http://qdrant:6333"}
IN_MEMORY = {"QDRANT_LOCATION": ":memory:"}
LOCAL_FOLDER = {"QDRANT_LOCATION": "/srv/vectors"}


@pytest.mark.parametrize(
    "workers, preload, env, refused",
    [
        (1, False, {}, None),
        (2, False, {}, "QDRANT_URL"),  # Edge: one process per shard
        (2, False, LOCAL_FOLDER, "QDRANT_URL"),  # a local-mode folder: one client
        (1, True, {}, "preload_app"),
        (3, False, SERVER, None),
        (3, True, SERVER, "preload_app"),
        (2, False, IN_MEMORY, None),  # each worker its own store in memory (tests/test_two_workers.py)
        (2, True, IN_MEMORY, "preload_app"),
    ],
)
def test_on_starting_refuses_what_breaks_the_vector_store(monkeypatch, workers, preload, env, refused):
    cfg = load(monkeypatch, **env)
    server = SimpleNamespace(cfg=SimpleNamespace(workers=workers, preload_app=preload))
    if refused is None:
        cfg.on_starting(server)
    else:
        with pytest.raises(RuntimeError, match=refused):
            cfg.on_starting(server)


def test_gunicorn_accepts_the_file():
    command = [sys.executable, "-m", "gunicorn", "--check-config", "-c", str(CONF), "bench.bare_app:app"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_run_and_the_image_serve_with_the_file():
    makefile = (ROOT / "Makefile").read_text()
    serve = re.search(r"^serve:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert "-c gunicorn.conf.py" in serve and "$(HOST):$(PORT)" in serve
    assert "--workers" not in serve and "--threads" not in serve
    cmd = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")]
    assert len(cmd) == 1 and "gunicorn -c gunicorn.conf.py" in cmd[0] and "--threads" not in cmd[0]
    assert "gunicorn.conf.py" in (ROOT / "bench" / "load_client.py").read_text()


def test_bare_app_routes():
    from bench.bare_app import app

    client = app.test_client()
    response = client.get("/json")
    assert response.status_code == 200
    assert 9_000 <= len(response.data) <= 11_000
    assert len(json.loads(response.data)["items"]) > 20
    page = client.get("/page")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.get_data(as_text=True).count('class="song-card"') == 24
