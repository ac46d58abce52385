"""docker-compose.yml: server mode's services, pinned, with volumes, healthchecks and start-up order;
`docker compose config` (or Debian's docker-compose, which .ci/run installs) validates it."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
# A version tag: never latest, never a bare major version.
PINNED = re.compile(r"[\w./-]+:v?\d+\.\d+(\.\d+)?(-[\w.]+)?")


@pytest.fixture(scope="module")
def services():
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with requirements-dev.txt (schemathesis)")
    # Substitution is compose's job; ${...} stays as text here, which is what the secrets test reads.
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_every_image_is_pinned_and_every_store_keeps_a_volume_and_a_healthcheck(services):
    assert {"postgres", "redis", "qdrant", "migrate", "app"} <= set(services)
    for name in ("postgres", "redis", "qdrant"):
        assert PINNED.fullmatch(services[name]["image"]), services[name]["image"]
        assert services[name]["volumes"], name
        assert services[name]["healthcheck"]["test"], name
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "healthz" in str(services["app"]["healthcheck"]["test"])


def test_the_app_starts_after_the_one_shot_migration_with_its_stores_healthy(services):
    app, migrate = services["app"], services["migrate"]
    assert app["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "qdrant": {"condition": "service_healthy"},
    }
    assert all(dep["condition"] == "service_healthy" for dep in migrate["depends_on"].values())
    assert migrate["restart"] == "no"
    steps = " ".join(migrate["command"])
    wanted = ("flask db upgrade", "flask seed all --if-empty", "flask seed item-model")
    order = [steps.index(step) for step in wanted]
    assert order == sorted(order)
    assert "flask db upgrade" not in " ".join(app["command"])  # workers never migrate
    assert "-c gunicorn.conf.py" in " ".join(app["command"])


def test_the_workers_share_postgres_redis_and_qdrant(services):
    app, migrate = services["app"], services["migrate"]
    env = app["environment"]
    assert int(env["WORKERS"]) > 1
    assert re.fullmatch(
        r"postgresql\+psycopg://songbird:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/songbird",
        env["DATABASE_URL"],
    )
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["QDRANT_URL"] == "http://qdrant:6333"
    for name in ("DATABASE_URL", "REDIS_URL", "QDRANT_URL"):
        assert migrate["environment"][name] == env[name]
    # The saved item model and the secret key's file: one volume for the migration and the workers.
    assert app["volumes"][0].split(":")[0] == migrate["volumes"][0].split(":")[0]


def test_no_password_is_in_the_file(services):
    password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", password)
    assert "ports" not in services["postgres"] and "ports" not in services["redis"]


def compose_command():
    """The compose CLI here: docker's compose plugin, else Debian's standalone docker-compose (1.29,
    which validates the same file without a docker daemon); skips, saying so, when neither exists."""
    if shutil.which("docker"):
        found = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip(
        "neither `docker compose` nor docker-compose here (apt-get install docker-compose): config not run"
    )


def test_docker_compose_accepts_the_file():
    compose = compose_command()

    def config(env):
        command = [*compose, "-f", str(COMPOSE), "config", "--quiet"]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )

    env = {**os.environ, "POSTGRES_PASSWORD": "only-for-this-check"}
    result = config(env)
    assert result.returncode == 0, result.stderr
    env.pop("POSTGRES_PASSWORD")
    missing = config(env)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr
