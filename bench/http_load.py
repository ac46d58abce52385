"""Benchmark: the app under HTTP load, served by gunicorn with gunicorn.conf.py, beside a bare Flask app.

    python bench/http_load.py [--clients 8,32] [--seconds 20] [--threads 1,2,4] [--workers 1]
                              [--cache hit|miss] [--rounds 1] [--phases routes,mix] [--reads-only]
                              [--routes rec:for_you,api:for_you] [--instance DIR] [--qdrant-url URL]
                              [--modes embedded,server] [--server-workers 2]

Seeds a fresh instance with the demo catalog (`flask seed all`, Qdrant Edge unless --qdrant-url),
then for each thread/worker setting (each in turn; every other round in reverse order, so settings
measured on a busy machine share its noise) starts two gunicorns from the same gunicorn.conf.py,
with --threads/--workers as overrides: the app (wsgi:app) and the bare Flask
baseline (bench/bare_app.py). 50 users log in through the real login form, each with an API token.

- Stall probe: right after the start, one profile save with new text to embed and five GETs beside
  it; with one thread the GETs wait for the save. With EMBEDDING_WARMUP=off in the environment the
  save loads the model itself (seconds), the long request that gunicorn.conf.py's threads are for.
- Cache: with --cache hit (as served) every user asks every recommendation route once before the
  measurement; --cache miss serves with RECOMMENDATION_CACHE_TTL=0 (every list computed).
- Phase "routes", per client count: the bare JSON route, the bare 24-card page, then each app route
  alone; requests/s, p50/p95/p99, and the share of the bare JSON route (API routes) or of the bare
  page (HTML routes).
- Phase "mix", per client count: a mix of pages, tabs, API routes and like/rate posts (none with
  --reads-only); afterwards, every post answered 2xx must be in the database (lost writes = 0).

Finally, with more than one setting, a summary per route and setting (the median over rounds).

--modes embedded,server adds the server mode to the same run: a throwaway PostgreSQL and Redis
(tests/servers.py), seeded by the same commands, served by --server-workers workers of
bench/server_mode_app.py, each with its own in-memory vector store (QDRANT_LOCATION=":memory:",
filled from SQL as it starts; no Qdrant server can run here), beside a bare baseline on as many
workers. The modes take turns like the settings, and a last table sets them side by side.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_client import (
    APPROACHES,
    ROOT,
    SERVER_READY,
    environment,
    free_port,
    log_in,
    run_load,
    server_environment,
    stall_probe,
    start_gunicorn,
    stop,
    wait_for_lines,
    warm_caches,
)

USERS = 50
HTML_ROUTES = ["browse", "search", "song", "page:for_you"] + [f"rec:{a}" for a in APPROACHES]
API_ROUTES = [f"api:{a}" for a in APPROACHES] + ["api:songs"]
CACHED_ROUTES = ["page:for_you"] + [f"rec:{a}" for a in APPROACHES] + [f"api:{a}" for a in APPROACHES]
MIX = [  # (route label, weight)
    ("browse", 3),
    ("search", 2),
    ("song", 3),
    ("rec:for_you", 2),
    ("rec:content", 1),
    ("rec:collaborative", 1),
    ("rec:knowledge", 1),
    ("rec:item_based", 1),
    ("api:for_you", 1),
    ("api:content", 1),
    ("api:collaborative", 1),
    ("api:knowledge", 1),
    ("api:item_based", 1),
    ("api:popular", 1),
    ("api:songs", 1),
    ("post:like", 2),
    ("post:rate", 2),
]


def seed(env):
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*flask, "seed", "all", "--if-empty"], env=env, cwd=ROOT, check=True, capture_output=True)


def config_defaults(env):
    """The workers and threads gunicorn.conf.py gives in this environment (read as gunicorn reads it)."""
    code = "import runpy; c = runpy.run_path('gunicorn.conf.py'); print(c['workers'], c['threads'])"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    workers, threads = out.stdout.split()
    return {"workers": workers, "threads": threads}


@dataclass
class Mode:
    """One way of serving: its environment, the app gunicorn serves, where its logs go."""

    name: str  # "embedded" or "server"
    env: dict
    logs: str
    target: str = "wsgi:app"
    song_count: int = 0


def db_count(env, table):
    engine = sa.create_engine(env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def row(label, result, route, base=None):
    p50, p95, p99 = result.percentiles(route)
    rate = result.rate(route)
    share = f"{100 * rate / base:7.1f}%" if base else ""
    return f"{label:20}{rate:>9.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{result.errors.get(route, 0):>8}  {share}"


HEADER = f"{'route':20}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  share of bare"


def routes_phase(app_port, bare_port, sessions, clients, seconds, routes, song_count, summary):
    """The bare routes, then each app route alone at `clients`; returns {route: (req/s, p95, share)}."""
    print(f"\n-- routes, {clients} clients, {seconds} s each\n{HEADER}")
    bare = {}
    for route in ("bare:json", "bare:page"):
        result = run_load(bare_port, None, clients, seconds, lambda rng, r=route: r)
        bare[route] = result.rate(route)
        print(row(route, result, route))
        summary[f"{route} @{clients}"] = (bare[route], result.percentiles(route)[1], None)
    for route in routes:
        result = run_load(app_port, sessions, clients, seconds, lambda rng, r=route: r, song_count)
        base = bare["bare:json" if route.startswith("api:") else "bare:page"]
        print(row(route, result, route, base))
        summary[f"{route} @{clients}"] = (
            result.rate(route),
            result.percentiles(route)[1],
            100 * result.rate(route) / base,
        )


def mix_phase(app_port, sessions, clients, seconds, env, song_count, summary):
    labels, weights = zip(*MIX)
    before = db_count(env, "activity_events")
    result = run_load(
        app_port, sessions, clients, seconds, lambda rng: rng.choices(labels, weights)[0], song_count
    )
    added = db_count(env, "activity_events") - before
    total = sum(len(v) for v in result.latencies.values())
    print(
        f"\n-- mix, {clients} clients, {seconds} s: {total / seconds:.1f} requests/s, "
        f"{sum(result.errors.values())} errors, posts answered 2xx {result.posts_ok}, events added {added} "
        f"-> lost writes {result.posts_ok - added}\n{HEADER}"
    )
    for route in labels:
        print(row(route, result, route))
        summary[f"mix:{route} @{clients}"] = (result.rate(route), result.percentiles(route)[1], None)
    worst = max(result.percentiles(r)[1] for r in labels if result.latencies.get(r))
    print(f"worst p95 in the mix {worst:.1f} ms")
    summary[f"mix:total @{clients}"] = (total / seconds, worst, None)
    summary[f"mix:lost,errors @{clients}"] = (result.posts_ok - added, sum(result.errors.values()), None)


def print_summary(settings, summaries):
    """One line per route: for each setting, the median over rounds of req/s (share) and p95."""
    print("\n== summary (median over rounds): req/s, share of bare, p95 ms")
    keys = list(dict.fromkeys(k for per in summaries.values() for run in per for k in run))
    print(f"{'':26}" + "".join(f"{s:>28}" for s in settings))
    for key in keys:
        cells = []
        for setting in settings:
            runs = [run[key] for run in summaries[setting] if key in run]
            if not runs:
                cells.append(f"{'':>28}")
                continue
            if key.startswith("mix:lost"):  # worst round, not the median
                lost, errors = max(r[0] for r in runs), max(r[1] for r in runs)
                cells.append(f"{f'lost {lost}, errors {errors}':>28}")
                continue
            rate, p95 = median(r[0] for r in runs), median(r[1] for r in runs)
            shares = [r[2] for r in runs if r[2] is not None]
            share = f"({median(shares):.0f}%)" if shares else ""
            cells.append(f"{rate:>10.1f} {share:>7} {p95:>8.1f} ms")
        print(f"{key:26}" + "".join(cells))


def print_modes(names, summaries):
    """Embedded against server, per route: req/s, p95 and share of its own bare baseline (medians)."""
    embedded, server = names
    print(f"\n== embedded ({embedded}) against server ({server}), median over rounds")
    print(
        f"{'':26}{'embedded':>28}{'server':>28}{'server/embedded':>17}\n"
        + f"{'route @clients':26}"
        + f"{'req/s':>10}{'p95 ms':>9}{'share':>9}" * 2
        + f"{'req/s':>17}"
    )
    keys = list(dict.fromkeys(k for per in summaries.values() for run in per for k in run))
    for key in keys:
        if key.startswith("mix:lost"):
            continue
        cells, rates = [], []
        for name in names:
            runs = [run[key] for run in summaries[name] if key in run]
            if not runs:
                cells.append(f"{'':>28}")
                rates.append(None)
                continue
            rate, p95 = median(r[0] for r in runs), median(r[1] for r in runs)
            shares = [r[2] for r in runs if r[2] is not None]
            share = f"{median(shares):.0f}%" if shares else ""
            cells.append(f"{rate:>10.1f}{p95:>9.1f}{share:>9}")
            rates.append(rate)
        ratio = f"{rates[1] / rates[0]:.2f}x" if None not in rates and rates[0] else ""
        print(f"{key:26}" + "".join(cells) + f"{ratio:>17}")


def measure_setting(args, mode, workers, threads, sessions):
    """Start the app and the bare app on one setting, probe, warm, run the phases; stop both."""
    env, logs, song_count = mode.env, mode.logs, mode.song_count
    app_port, bare_port = free_port(), free_port()
    app_log = Path(f"{logs}/app.log")
    offset = app_log.stat().st_size if app_log.exists() else 0
    app = start_gunicorn(mode.target, app_port, env, threads, workers, app_log, "/auth/login")
    if mode.name == "server":  # every worker's store filled, not only the first one's
        wait_for_lines(app, app_log, offset, SERVER_READY, workers)
    bare = start_gunicorn(
        "bench.bare_app:app", bare_port, env, threads, workers, f"{logs}/bare.log", "/ready"
    )
    try:
        # Cookies and tokens outlive a restart: the SECRET_KEY and the database stay. The probe runs
        # first, before 49 more logins give the model time to load.
        first = sessions is None
        sessions = sessions or [log_in(app_port, 0)]
        if not args.no_stall_probe:
            save, status, beside, alone = stall_probe(app_port, sessions[0])
            print(
                f"stall probe: profile save {save:.0f} ms ({status}); slowest of 5 GETs of /songs/ "
                f"beside it {beside:.0f} ms, after it {alone:.0f} ms"
            )
        if first:
            sessions += [log_in(app_port, n) for n in range(1, USERS)]
        warm = time.perf_counter()
        warm_caches(app_port, sessions, CACHED_ROUTES if args.cache == "hit" else args.route_list[:1], 8)
        print(f"warmed in {time.perf_counter() - warm:.0f} s")
        summary = {}
        for clients in args.clients_list:
            if "routes" in args.phase_set:
                routes_phase(
                    app_port, bare_port, sessions, clients, args.seconds, args.route_list, song_count, summary
                )
            if "mix" in args.phase_set:
                mix_phase(app_port, sessions, clients, args.seconds, env, song_count, summary)
        return summary, sessions
    finally:
        stop(app)
        stop(bare)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="8,32", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=int, default=20, help="length of each measurement")
    parser.add_argument(
        "--threads", default="", help="threads per worker, comma-separated (default: the config's)"
    )
    parser.add_argument(
        "--workers",
        default="",
        help="workers, comma-separated (default: the config's; >1 needs --qdrant-url)",
    )
    parser.add_argument(
        "--cache",
        choices=("hit", "miss"),
        default="hit",
        help="hit: the recommendation cache on, warmed first; miss: RECOMMENDATION_CACHE_TTL=0",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every setting this many times, interleaved"
    )
    parser.add_argument("--phases", default="routes,mix", help="routes, mix, or both")
    parser.add_argument(
        "--routes", help="routes for the routes phase (default: every page, tab and API route)"
    )
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="leave the like/rate posts out of the mix (each one makes that user's cached lists stale)",
    )
    parser.add_argument("--no-stall-probe", action="store_true")
    parser.add_argument("--instance", help="reuse a seeded instance folder (default: a new temporary one)")
    parser.add_argument("--qdrant-url", help="serve from this Qdrant server instead of Qdrant Edge")
    parser.add_argument(
        "--modes",
        default="embedded",
        help="embedded (SQLite, the vector store above), server (PostgreSQL, Redis, in-memory vectors), or both",
    )
    parser.add_argument(
        "--server-workers", type=int, default=2, help="gunicorn workers in server mode (app and bare)"
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    if not modes or set(modes) - {"embedded", "server"}:
        parser.error("--modes takes embedded, server, or both")
    if args.reads_only:
        MIX[:] = [(route, weight) for route, weight in MIX if not route.startswith("post:")]
    args.phase_set = set(args.phases.split(","))
    args.route_list = args.routes.split(",") if args.routes else HTML_ROUTES + API_ROUTES
    args.clients_list = [int(c) for c in args.clients.split(",")]
    config = config_defaults(environment("/nonexistent", args.cache, args.qdrant_url))
    threads = (args.threads or config["threads"]).split(",")
    settings = []  # (mode, workers, threads, name)
    for mode in modes:
        workers = (
            (args.workers or config["workers"]).split(",") if mode == "embedded" else [args.server_workers]
        )
        for w in workers:
            for t in threads:
                name = f"-w {w} --threads {t}"
                settings.append((mode, int(w), int(t), name if modes == ["embedded"] else f"{mode} {name}"))
    names = [setting[3] for setting in settings]

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        runs = {}
        if "embedded" in modes:
            instance = args.instance or tmp
            env = environment(instance, args.cache, args.qdrant_url)
            start = time.perf_counter()
            seed(env)
            runs["embedded"] = Mode("embedded", env, instance, song_count=db_count(env, "songs"))
            print(
                f"seeded in {time.perf_counter() - start:.0f} s: {runs['embedded'].song_count} songs, "
                f"{'Qdrant server' if args.qdrant_url else 'Qdrant Edge'}, cache {args.cache}, "
                f"logs in {instance}/*.log"
            )
        if "server" in modes:
            logs = f"{tmp}/server"
            Path(logs).mkdir()
            env = servers.enter_context(server_environment(logs, args.cache))
            start = time.perf_counter()
            seed(env)  # the same commands as the embedded instance, so the same data
            runs["server"] = Mode("server", env, logs, "bench.server_mode_app:app", db_count(env, "songs"))
            print(
                f"server mode seeded in {time.perf_counter() - start:.0f} s: {runs['server'].song_count} "
                f"songs, PostgreSQL, Redis, in-memory vectors per worker, cache {args.cache}, logs in {logs}/*.log"
            )
        sessions, summaries = {}, defaultdict(list)
        for round_ in range(1, args.rounds + 1):
            # Every other round runs the settings in reverse (A B C, C B A): a machine that gets
            # busier or quieter during the run then weighs on every setting alike.
            for mode, workers, threads_, name in settings if round_ % 2 else settings[::-1]:
                label = "" if modes == ["embedded"] else f"{mode}, "
                print(
                    f"\n==== round {round_}: {label}gunicorn -c gunicorn.conf.py -w {workers} --threads {threads_}"
                )
                summary, sessions[mode] = measure_setting(
                    args, runs[mode], workers, threads_, sessions.get(mode)
                )
                summaries[name].append(summary)
        if len(settings) > 1 or args.rounds > 1:
            print_summary(names, summaries)
        if len(modes) == 2 and len(settings) == 2:
            print_modes(names, summaries)


if __name__ == "__main__":
    main()
