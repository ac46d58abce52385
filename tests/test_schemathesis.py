"""Finding 8 of issue 12: the OpenAPI document and the server agree, as Schemathesis checks them.

Schemathesis (a dev dependency) reads /api/v1/openapi.json and sends every operation generated
requests, valid and invalid (its examples, coverage and fuzzing phases, every check): a 5xx, a
response that breaks the schema, a valid request refused or an invalid one accepted fails.
It runs once with a listener's token and once with an admin's, each on a throwaway database
(the admin run promotes, deactivates and deletes), with a fixed seed and a bounded number of
examples, so a run is repeatable and takes about a minute on two cores.

The app is served over a real socket on localhost: Schemathesis' in-process WSGI transport fails
in its engine (4.32.5 passes `max_redirects` to Werkzeug), and real HTTP is what clients send.
"""

import threading
import time
from collections import Counter

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, embedder
from app.services.accounts import tokens, users
from app.services.catalog.imports import import_spotify_csv
from app.services.indexing.song_vectors import embed_songs

from .conftest import DEMO_CATALOG
from .fakes import HashingEmbedder

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is a dev dependency (requirements-dev.txt)"
)
from schemathesis.engine import from_schema  # noqa: E402
from schemathesis.engine.events import FatalError, NonFatalError, ScenarioFinished  # noqa: E402
from schemathesis.engine.statistic import Statistic  # noqa: E402

SCHEMA_OPERATION = "GET /api/v1/openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SEED = 20261128
MAX_EXAMPLES = 15  # per operation and phase; the coverage phase adds its deterministic edge cases
ADMIN_ONLY = {
    "POST /api/v1/songs",
    "PATCH /api/v1/songs/{song_id}",
    "DELETE /api/v1/songs/{song_id}",
    "GET /api/v1/users",
    "GET /api/v1/users/{user_id}",
    "PATCH /api/v1/users/{user_id}",
    "GET /api/v1/status",
}


def _serve(uri: str):
    """A fresh app on its own database (30 demo songs, a listener, an admin), served on a free port."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "QDRANT_LOCATION": ":memory:",
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=30)
        embed_songs()
        listener = users.register_user("listener", "long enough pw 9")
        admin = users.register_user("boss", "long enough pw 9")
        admin.is_admin = True
        db.session.commit()
        keys = {
            "user": tokens.create_token(listener.id, "st")[1],
            "admin": tokens.create_token(admin.id, "st")[1],
        }
    server = make_server("127.0.0.1", 0, app, threaded=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, keys


def run_schemathesis(base_url: str, token: str) -> dict:
    """Run every phase but the stateful one against the API; totals, failures and 2xx per operation."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["too_slow"],  # a busy machine is slow, not a broken schema
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},  # the API has no links between operations
            "cache": {"enabled": False},  # nothing written to the working tree
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    statistic, errors, operations, answered = Statistic(), [], set(), Counter()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished) and event.is_test_scenario:
            statistic.on_scenario_finished(event.recorder)
            for case_id, node in event.recorder.cases.items():
                label = node.value.operation.label
                operations.add(label)
                interaction = event.recorder.interactions.get(case_id)
                if (
                    interaction is not None
                    and interaction.response is not None
                    and 200 <= interaction.response.status_code < 300
                ):
                    answered[label] += 1
        elif isinstance(event, (NonFatalError, FatalError)):
            errors.append(event)
    failures = [
        f"{label}: {failure.title}: {(failure.message or '')[:300]}\n    {(group.code_sample or '')[:600]}"
        for label, groups in statistic.failures.items()
        for group in groups.values()
        for failure in group.failures
    ]
    return {
        "operations": operations,
        "cases": statistic.total_cases,
        "failures": failures,
        "errors": [str(getattr(e, "info", getattr(e, "exception", e)))[:500] for e in errors],
        "answered": answered,
        "seconds": time.perf_counter() - started,
    }


@pytest.mark.parametrize("role", ["user", "admin"])
def test_the_api_matches_its_openapi_document(database_uri, role):
    app, server, keys = _serve(database_uri("api"))
    try:
        result = run_schemathesis(f"http://127.0.0.1:{server.server_port}", keys[role])
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
    print(
        f"schemathesis ({role}): {len(result['operations'])} operations, {result['cases']} cases, "
        f"{len(result['failures'])} failures, {result['seconds']:.1f} s"
    )
    documented = {
        f"{method.upper()} {path}"
        for path, item in _document(app)["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }  # not a path item's shared "parameters"
    # Every operation was exercised, but the one Schemathesis loaded the document from: it runs no
    # scenario for that URL (observed with 4.32.5); tests/test_openapi.py covers that route.
    assert result["operations"] == documented - {SCHEMA_OPERATION}
    documented.discard(SCHEMA_OPERATION)
    assert not result["errors"], result["errors"]
    assert not result["failures"], "\n".join(result["failures"])
    # Not only refusals: each operation this role may call answered 2xx at least once.
    allowed = documented - ADMIN_ONLY if role == "user" else documented
    assert {op for op in allowed if result["answered"][op] == 0} == set()
    assert result["cases"] > 10 * len(documented)


def _document(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()
