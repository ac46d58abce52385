"""Architecture (issue 14): the engines in app/recommend/ take the store they are handed and know nothing
of how stores are made, how texts are embedded, how they are evaluated, or of the web and the database.

The rule is read from the source with `ast`, so adding `from ..vectors import create_vector_store`
or `import flask` to an engine fails here, before anything runs. The evaluation (app/evaluation/)
may create stores and embed, but stays out of the web and the database: its app-data split is read
by app/services/ops/evaluation.py.
"""

import importlib
import inspect
from pathlib import Path

import pytest

from app.evaluation.harness import APPROACHES as EVALUATED
from app.evaluation.split_catalog import RANDOM
from app.evaluation.tuning import fit_fusion
from app.recommend import fusion, registry

from .source_imports import imports

APP = Path(__file__).resolve().parent.parent / "app"
# The engines may use the vector interface (app/vectors/base.py: Point, Range, VectorStore ...),
# never the package that builds stores from settings, nor a backend or its library.
ENGINE_FORBIDDEN = (
    "app.vectors",
    "qdrant_client",
    "qdrant_edge",  # stores: created by whoever hands one over
    "app.embeddings",
    "sentence_transformers",
    "torch",  # the model: vectors arrive computed
    "app.evaluation",  # the evaluation depends on the engines, not the other way round
    "flask",
    "werkzeug",
    "sqlalchemy",
    "app.extensions",
    "app.models",
    "app.services",  # web, database
)
# The vector schema (app/vectors/schema.py: collection names, payload fields, users' sparse vectors,
# interaction weights) is pure data and functions: the engines read the facts the app's index and
# the evaluation's stores are built from, rather than keep copies that could drift apart.
ENGINE_ALLOWED = ("app.vectors.base", "app.vectors.schema")
EVALUATION_FORBIDDEN = ("flask", "werkzeug", "sqlalchemy", "app.extensions", "app.models", "app.services")
# Modules that break the rule on purpose, and why. Each entry must still be needed: once its module
# is gone or clean, test_each_exception_is_still_needed fails until the entry is removed.
ENGINE_EXCEPTIONS = {
    "evaluate.py": "`python -m app.recommend.evaluate`, an alias of `python -m app.evaluation` kept for one "
    "release; delete it and this entry together",
}


def _top_is(name: str, module: str) -> bool:
    """name is module or inside it; "flask" also covers its extensions (flask_login, flask_caching ...)."""
    if name == module or name.startswith(module + "."):
        return True
    return "." not in module and name.split(".")[0].startswith(module + "_")


def forbidden_imports(source: str, package: str, forbidden: tuple, allowed: tuple = ()) -> list[str]:
    """'line N: name' for each import in the source of a module in `package` that reaches a forbidden module.

    Relative imports resolve against `package` (app.recommend for app/recommend/content.py and for
    app/recommend/__init__.py). `from x import y` may bind a submodule x.y or an attribute of x; y is
    judged as x.y, so `from ..vectors import base` passes where `from ..vectors import Point` does not.
    Imports inside functions count too.
    """
    found = []
    for line, module, names in imports(source, package):
        for name in names or [module]:
            if any(_top_is(name, allowed_module) for allowed_module in allowed):
                continue
            if any(_top_is(name, forbidden_module) for forbidden_module in forbidden):
                found.append(f"line {line}: {name}")
    return found


def _violations(path: Path, forbidden: tuple, allowed: tuple = ()) -> list[str]:
    package = ".".join(path.relative_to(APP.parent).parts[:-1])
    return forbidden_imports(path.read_text(encoding="utf-8"), package, forbidden, allowed)


def _modules(package: str) -> list[Path]:
    return sorted((APP / package).rglob("*.py"))


@pytest.mark.parametrize(
    "source, package, expected",
    [
        ("from ..vectors import create_vector_store", "app.recommend", ["app.vectors.create_vector_store"]),
        ("from ..vectors import Point", "app.recommend", ["app.vectors.Point"]),
        ("from ..vectors.edge import EdgeVectorStore", "app.recommend", ["app.vectors.edge.EdgeVectorStore"]),
        ("from .. import vectors", "app.recommend", ["app.vectors"]),
        ("import qdrant_edge", "app.recommend", ["qdrant_edge"]),
        ("from ..embeddings import shared_embedder", "app.recommend", ["app.embeddings.shared_embedder"]),
        ("from ..evaluation.metrics import ndcg", "app.recommend", ["app.evaluation.metrics.ndcg"]),
        ("import app.evaluation", "app.recommend", ["app.evaluation"]),
        ("from flask import current_app", "app.recommend", ["flask.current_app"]),
        ("import flask_login", "app.recommend", ["flask_login"]),
        ("import sqlalchemy as sa", "app.recommend", ["sqlalchemy"]),
        ("from sqlalchemy.orm import Session", "app.recommend", ["sqlalchemy.orm.Session"]),
        (
            "def fit():\n    from ..services.catalog import browse\n",
            "app.recommend",
            ["app.services.catalog.browse"],
        ),
        ("from .items import SONGS", "app.recommend", []),
        ("from ..vectors.base import Point, VectorStore", "app.recommend", []),
        ("from ..vectors import base", "app.recommend", []),
        ("from ..vectors.schema import SONGS, user_sparse", "app.recommend", []),
        (
            "from ..vectors.extension import VectorStoreExtension",
            "app.recommend",
            ["app.vectors.extension.VectorStoreExtension"],
        ),
        ("from ..spotify_csv.vocab import FLAG_COLUMNS", "app.recommend", []),
        ("import numpy as np\nfrom scipy import sparse", "app.recommend", []),
        ("import flaskish", "app.recommend", []),
    ],
)
def test_the_import_check_finds_each_way_to_reach_a_forbidden_module(source, package, expected):
    found = forbidden_imports(source, package, ENGINE_FORBIDDEN, ENGINE_ALLOWED)
    assert [entry.split(": ", 1)[1] for entry in found] == expected


def test_the_engines_import_no_store_factory_model_evaluation_web_or_database():
    checked = [path for path in _modules("recommend") if path.name not in ENGINE_EXCEPTIONS]
    # The engines, the fusion and the registry are all looked at, not an empty list.
    engines = {"content.py", "collaborative.py", "knowledge.py", "item_model.py", "fusion.py", "registry.py"}
    assert engines <= {path.name for path in checked}
    offenders = {
        path.name: found for path in checked if (found := _violations(path, ENGINE_FORBIDDEN, ENGINE_ALLOWED))
    }
    assert offenders == {}, "app/recommend/ must take the store it is handed; see ENGINE_FORBIDDEN for why"


@pytest.mark.parametrize("name", sorted(ENGINE_EXCEPTIONS))
def test_each_exception_is_still_needed(name):
    path = APP / "recommend" / name
    assert path.is_file(), f"app/recommend/{name} is gone: remove it from ENGINE_EXCEPTIONS"
    assert _violations(path, ENGINE_FORBIDDEN, ENGINE_ALLOWED), f"{name} meets the rule now: remove its entry"


def test_the_evaluation_stays_out_of_the_web_and_the_database():
    checked = _modules("evaluation")
    assert {"harness.py", "metrics.py", "run_files.py", "run_app.py"} <= {path.name for path in checked}
    offenders = {path.name: found for path in checked if (found := _violations(path, EVALUATION_FORBIDDEN))}
    assert offenders == {}, "app/evaluation/ gets the app's data from app/services/ops/evaluation.py"


def test_the_vector_schema_meets_the_engines_rule():
    # What lets the engines import it: no store factory, model, web or database behind it.
    assert _violations(APP / "vectors" / "schema.py", ENGINE_FORBIDDEN, ENGINE_ALLOWED) == []


def test_the_fusion_the_fit_and_the_evaluation_read_one_registry():
    # A list added to the registry is fused, fitted and evaluated with no other list to update.
    assert set(fusion.DEFAULT_PARAMS.weights) == set(registry.COMPONENTS)
    assert inspect.signature(fit_fusion).parameters["names"].default == tuple(registry.COMPONENTS)
    assert (*registry.APPROACHES, RANDOM) == EVALUATED
    assert (registry.FOR_YOU, *registry.COMPONENTS, registry.POPULAR) == registry.APPROACHES
    # Each name is the one the engine's own Recommendations carry.
    for name, engine in registry.COMPONENTS.items():
        assert name == importlib.import_module(engine.__module__).APPROACH
    # For you runs the same engines as plans: each one its engine module's, under the same name.
    assert list(registry.PLANS) == list(registry.COMPONENTS)
    for name, plan in registry.PLANS.items():
        assert plan.__module__ == registry.COMPONENTS[name].__module__
    assert fusion.APPROACH == registry.FOR_YOU
