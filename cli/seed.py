"""`flask seed ...`: import songs, create demo users, generate their activity."""

import os

import click
from flask import current_app
from flask.cli import with_appcontext

from app.services.catalog.browse import song_count
from app.services.catalog.imports import import_spotify_csv
from app.services.ops import seeding
from app.services.ops.status import record_seed_run
from app.spotify_csv.schemas import SchemaError

from .progress import progress_bar
from .store import uses_vector_store

SHOWN_ERRORS = 50


@click.group()
def seed():
    """Fill the database: songs, users, activity."""


@seed.command("songs")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--limit", type=click.IntRange(min=1), help="Read at most this many rows.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1))
@with_appcontext
@uses_vector_store  # as every seed command: stops first when a running server holds the store
def seed_songs(path, limit, batch_size):
    """Import songs from a Spotify CSV (PATH), or the demo catalog when PATH is left out."""
    run_song_import(path or current_app.config["DEMO_CATALOG"], limit, batch_size)


def run_song_import(path, limit=None, batch_size=1000):
    """Import with a progress bar, print each bad row and a summary; raise on unusable files."""
    if not os.path.isfile(path):
        raise click.ClickException(f"no such file: {path}")
    shown = 0

    def report(error):
        nonlocal shown
        shown += 1
        if shown <= SHOWN_ERRORS:
            click.echo(f"{path}: {error}", err=True)

    with progress_bar(os.path.getsize(path), "Importing songs", "B", True) as bar:
        try:
            summary = import_spotify_csv(path, limit, batch_size, on_bytes=bar.update, on_error=report)
        except (SchemaError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    if shown > SHOWN_ERRORS:
        click.echo(f"... and {shown - SHOWN_ERRORS} more skipped rows", err=True)
    click.echo(f"Songs ({summary.schema} schema): {summary}")
    return summary


@seed.command("users")
@click.option("--count", default=50, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", "seed_value", default=0, show_default=True, help="Random seed.")
@with_appcontext
@uses_vector_store
def seed_users(count, seed_value):
    """Create users user0..user{count-1} (password user0@000 ...); existing users are kept."""
    run_user_seed(count, seed_value)


def run_user_seed(count, seed_value):
    with progress_bar(count, "Creating users") as bar:
        result = seeding.seed_users(count, seed_value, on_step=bar.update)
    click.echo(f"Users: created {result.created} · kept {result.kept}")


@seed.command("activities")
@click.option(
    "--per-user",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Songs each user interacts with.",
)
@click.option("--seed", "seed_value", default=0, show_default=True, help="Random seed.")
@with_appcontext
@uses_vector_store
def seed_activities(per_user, seed_value):
    """Generate plays, likes, ratings, bookmarks and dislikes that follow each user's preferences."""
    run_activity_seed(per_user, seed_value)


def run_activity_seed(per_user, seed_value):
    from app.extensions import db
    from app.models import User

    with progress_bar(db.session.query(User).count(), "Generating activity") as bar:
        try:
            result = seeding.seed_activities(per_user, seed_value, on_step=bar.update)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(
        f"Activity: {result.events} events for {result.created} users · "
        f"{result.kept} users already had activity and were kept"
    )


@seed.command("embeddings")
@click.option("--rebuild", is_flag=True, help="Forget cached vectors and embed every song again.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Songs per model call and commit.")
@click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), help="Where the model runs.")
@with_appcontext
@uses_vector_store
def seed_embeddings(rebuild, batch_size, device):
    """Embed songs whose text changed since their last embedding; an interrupted run resumes."""
    run_song_embeddings(rebuild, batch_size, device)


def run_song_embeddings(rebuild=False, batch_size=None, device=None):
    from app.embeddings import resolve_device
    from app.services.indexing.song_vectors import embed_songs

    try:  # before anything is read or loaded: a GPU asked for and missing is a clear error
        resolve_device(device or current_app.config.get("EMBEDDING_DEVICE"))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if device:
        current_app.config["EMBEDDING_DEVICE"] = device
        current_app.extensions.pop("embedder", None)
    batch_size = batch_size or current_app.config["EMBEDDING_BATCH_SIZE"]
    total = song_count()
    with progress_bar(total, "Embedding songs", "song") as bar:
        # On a terminal the bar; elsewhere (a log, nohup, docker) a line every LOG_EVERY_S seconds,
        # since embedding 100,000 songs on a CPU takes most of an hour.
        log = ProgressLog("Embedding songs", total, enabled=bar.disable)

        def step(n):
            bar.update(n)
            log.update(n)

        def skip(n):  # unchanged songs: the bar and the ETA count only what is left to embed
            bar.total -= n
            bar.refresh()
            log.skip(n)

        result = embed_songs(batch_size=batch_size, rebuild=rebuild, on_step=step, on_skip=skip)
    click.echo(
        f"Song vectors: embedded {result.embedded} · written from cache {result.reindexed} · "
        f"unchanged {result.unchanged}"
    )


LOG_EVERY_S = 30.0


class ProgressLog:
    """Progress as plain lines (done, rate, time left) for output that is not a terminal."""

    def __init__(self, label: str, total: int, enabled: bool, every_s: float = LOG_EVERY_S):
        self.label, self.total, self.enabled, self.every_s = label, total, enabled, every_s
        self.done = 0
        self.started = self.last = None

    def skip(self, n: int) -> None:
        self.total -= n

    def update(self, n: int) -> None:
        import time

        now = time.monotonic()
        if self.started is None:
            self.started = self.last = now  # the rate counts from the first batch, not the skipping
        self.done += n
        if self.enabled and (now - self.last >= self.every_s or self.done >= self.total):
            self.last = now
            click.echo(self.line(now - self.started), err=True)

    def line(self, elapsed: float) -> str:
        """ "Embedding songs: 12,800 of 100,000 (13%) · 51.2/s · about 31 min 40 s left"."""
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = 100 * self.done / self.total if self.total else 100
        text = f"{self.label}: {self.done:,} of {self.total:,} ({share:.0f}%) · {rate:.1f}/s"
        if rate > 0 and self.done < self.total:
            minutes, seconds = divmod(int((self.total - self.done) / rate), 60)
            text += f" · about {minutes} min {seconds} s left" if minutes else f" · about {seconds} s left"
        return text


@seed.command("user-embeddings")
@with_appcontext
@uses_vector_store
def seed_user_embeddings():
    """Recompute every user's taste vector from their activity and stated preferences."""
    run_user_embeddings()


def run_user_embeddings():
    from app.extensions import db
    from app.models import User
    from app.services.indexing.user_vectors import refresh_all_user_vectors

    with progress_bar(db.session.query(User).count(), "Taste vectors", "user") as bar:
        count = refresh_all_user_vectors(on_step=bar.update)
    click.echo(f"User vectors: {count} users have a taste vector")


@seed.command("all")
@click.option(
    "--songs",
    "songs_path",
    type=click.Path(dir_okay=False),
    help="A Spotify CSV to import instead of the demo catalog.",
)
@click.option("--users", "user_count", default=50, show_default=True, type=click.IntRange(min=0))
@click.option("--per-user", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", "seed_value", default=0, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalog already has songs.")
@with_appcontext
@uses_vector_store
def seed_all(songs_path, user_count, per_user, seed_value, if_empty):
    """Run every seeding step in order: songs, users, activities, song and user vectors."""
    if if_empty and song_count() > 0:
        click.echo("The catalog already has songs: nothing to seed.")
        return
    run_song_import(songs_path or current_app.config["DEMO_CATALOG"])
    run_user_seed(user_count, seed_value)
    run_activity_seed(per_user, seed_value)
    run_song_embeddings()
    run_user_embeddings()
    run_item_model()
    record_seed_run(songs_path or current_app.config["DEMO_CATALOG"])


@seed.command("item-model")
@with_appcontext
def seed_item_model():
    """Fit the item-to-item model on everyone's likes and save it where the server loads it from.

    Needs no vector store, so it may run beside a live server (each worker also refits by itself,
    in the background, after activity).
    """
    run_item_model()


def run_item_model():
    import time

    from app.services.recommendations.item_model import holder

    started = time.perf_counter()
    model_holder = holder()
    model_holder.refresh(wait=True)
    model = model_holder.model
    if model is None:
        click.echo("Item model: too little activity to fit one (songs need two fans each)")
        return
    click.echo(
        f"Item model: {len(model.item_ids)} songs · {model.nbytes / 1e6:.0f} MB · "
        f"{time.perf_counter() - started:.1f} s · version {model.version}"
    )
