"""`flask vectors status | sync`: compare the vector index with SQL and repair it."""

import json

import click
from flask.cli import with_appcontext

from app.services.indexing.sync import index_status, sync_index

from .progress import progress_bar
from .store import uses_vector_store


@click.group()
def vectors():
    """Inspect and repair the vector index (SQL is the source of truth)."""


@vectors.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
@uses_vector_store
def status(as_json):
    """Backend, model, and songs and users in SQL against points in each collection.

    Exits 1 when the index and SQL differ (a missing or unreadable collection, a point count that
    disagrees, stale entries), so scripts and healthchecks can act on it; 0 when they match.
    """
    report = index_status()
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"backend {report['backend']} · model {report['model']} · dimension {report['dimension']}")
        click.echo(f"{'':8}{'in SQL':>10}{'vectors':>10}{'points':>10}{'stale':>10}")
        for name in ("songs", "users"):
            row = report[name]
            points = "-" if row["points"] is None else row["points"]
            click.echo(f"{name:8}{row['sql']:>10}{row['vectors']:>10}{points:>10}{row['stale']:>10}")
        for difference in report["differences"]:
            click.echo(f"differs: {difference}", err=True)
        if report["differences"]:
            click.echo("The index differs from SQL: `flask vectors sync` repairs it.", err=True)
    if report["differences"]:
        raise click.exceptions.Exit(1)


@vectors.command("sync")
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1))
@with_appcontext
@uses_vector_store
def sync(batch_size):
    """Add missing points, remove orphans, re-embed stale songs."""
    from app.services.catalog.browse import song_count

    with progress_bar(song_count(), "Syncing songs") as bar:
        report = sync_index(batch_size, on_step=bar.update)
    songs, users = report["songs"], report["users"]
    click.echo(
        f"Songs: {songs['orphans_removed']} orphans removed · {songs['missing']} missing · "
        f"{songs['embedded']} embedded · {songs['reindexed']} written from SQL"
    )
    click.echo(f"Users: {users['orphans_removed']} orphans removed · {users['refreshed']} refreshed")
