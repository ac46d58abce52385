"""Markers that sort the suite by cost, so `make test-fast` (`-m "not slow"`) runs the core in seconds.

Loaded as a plugin (`-p tests.markers` in pyproject.toml's addopts) rather than from conftest.py.
Nobody has to remember to mark a test: each marker is given at collection from what the test uses:

- browser: a headless Chromium page (the `browser`, `page` or `live_server` fixtures, tests/browser/).
- real_model: the real all-MiniLM-L6-v2 model (`shared_embedder(`): ~10 s to load on two cores.
- server: another process or server (subprocess, gunicorn, a PostgreSQL cluster, Redis, a WSGI server).
- shared_sample: the real data files in shared/data (SPOTIFY_*_CSV, HETREC_DIR).
- catalog: imports the demo catalog (300+ songs: the `demo_songs`, `seeded`, `site` fixtures) or
  seeds users and activity; 3-20 s of set-up each on a busy two-core machine.
- slow: any of the above, or a module named in SLOW_MODULES; `-m "not slow"` leaves the fast core.

A test is read together with its fixtures and the module-level helpers it calls (one module deep),
so a helper that runs `subprocess.run` marks every test that calls it. `@pytest.mark.slow` by hand
still works for what the source does not show.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

MARKERS = {
    "browser": "drives headless Chromium through playwright (needs Debian's chromium)",
    "real_model": "loads the real sentence-transformers model",
    "server": "starts another process or server: subprocess, gunicorn, PostgreSQL, Redis, a live WSGI server",
    "shared_sample": "reads the real data samples in shared/data (SPOTIFY_*_CSV, HETREC_DIR)",
    "catalog": "imports the demo catalog or seeds users and activity",
    "slow": "any of the markers above, or measured slow; make test-fast skips it",
}
BROWSER_FIXTURES = frozenset({"browser", "page", "live_server"})
SAMPLE_FIXTURES = frozenset({"lyrics_sample", "tracks_sample"})
# Text in a test, its fixtures or its helpers that says what it needs.
SOURCE_SIGNS = {
    "real_model": ("shared_embedder(",),
    "server": ("subprocess.", "Popen(", "start_postgres(", "start_redis(", "make_server(", "gunicorn.app"),
    "shared_sample": ("HETREC_DIR", "SPOTIFY_SAMPLE_CSV", "SPOTIFY_TRACKS_CSV", "shared_file("),
    "catalog": ("DEMO_CATALOG", "seed_activities(", "seed_all(", '"seed", "all"', '"seed", "activities"'),
}
# Modules slow as a whole, and single tests, that none of the signs above shows: measured with
# `pytest -m "not slow" --durations=0` on the shared two-core machine (load average ~10: each
# time is several times what a quiet machine takes); every other test took under 7 s, most under 1 s.
SLOW_MODULES = frozenset(
    {
        "test_schemathesis.py",  # property-based runs over every API operation against a live server
    }
)
SLOW_TESTS = frozenset(
    {
        "test_fusion_fit.py::test_tuning_never_reads_the_test_file",  # two tuning runs: 57 s
        "test_vectors_contract.py::test_must_filters",  # every filter on every backend: 15 s in all
        "test_config.py::test_concurrent_writers_wait_instead_of_failing",  # waits out SQLite locks: 9 s
    }
)


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:  # nested functions, lambdas and comprehensions
        if isinstance(const, types.CodeType):
            yield from _code_names(const)


def _sources(func: Callable[..., object], seen: set[object]) -> Iterator[str]:
    """The source of func and of the functions of its own module that it names, each once."""
    func = inspect.unwrap(func)
    if func in seen or not inspect.isfunction(func):
        return
    seen.add(func)
    try:
        yield inspect.getsource(func)
    except (OSError, TypeError):
        return
    module = inspect.getmodule(func)
    for name in set(_code_names(func.__code__)):
        target = getattr(module, name, None)
        if inspect.isfunction(target) and target.__module__ == func.__module__:
            yield from _sources(target, seen)


def _fixture_functions(item: pytest.Item) -> Iterable[Callable[..., object]]:
    """The project's own fixture functions the item uses (pytest's and plugins' are not read)."""
    info = getattr(item, "_fixtureinfo", None)
    for definitions in getattr(info, "name2fixturedefs", {}).values():
        for definition in definitions:
            func = getattr(definition, "func", None)
            path = inspect.getsourcefile(func) if inspect.isfunction(func) else None
            if path and Path(path).resolve().is_relative_to(TESTS):
                yield func


def _needs(item: pytest.Item, cache: dict[object, str]) -> set[str]:
    fixtures = set(getattr(item, "fixturenames", ()))
    path = Path(str(item.path)).resolve()
    found = set()
    if fixtures & BROWSER_FIXTURES or path.is_relative_to(TESTS / "browser"):
        found.add("browser")
    if fixtures & SAMPLE_FIXTURES:
        found.add("shared_sample")
    if item.get_closest_marker("postgresql_only"):  # starts a PostgreSQL cluster when none runs
        found.add("server")
    functions = [getattr(item, "function", None), *_fixture_functions(item)]
    for func in functions:
        if func is None:
            continue
        if func not in cache:
            cache[func] = "\n".join(_sources(func, set()))
        for marker, signs in SOURCE_SIGNS.items():
            if any(sign in cache[func] for sign in signs):
                found.add(marker)
    if (
        found
        or path.name in SLOW_MODULES
        or f"{path.name}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS
    ):
        found.add("slow")
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cache: dict[object, str] = {}
    for item in items:
        for marker in sorted(_needs(item, cache)):
            if not item.get_closest_marker(marker):
                item.add_marker(marker)
