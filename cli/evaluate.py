"""`flask evaluate`: every approach scored offline on held-out activity from the app's own database."""

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from .progress import progress_bar


@click.command("evaluate")
@click.option("--k", default=10, show_default=True, type=click.IntRange(min=1), help="List length scored.")
@click.option(
    "--holdout",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most recent positive interactions held out per user.",
)
@click.option(
    "--min-positives",
    default=10,
    show_default=True,
    type=click.IntRange(min=2),
    help="Users with fewer positive songs are not scored (they still count as neighbours).",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON.")
@click.option(
    "--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Random baseline seed."
)
@click.option(
    "--tune",
    is_flag=True,
    help="First fit For you's fusion on a validation split of the training side, then score with it.",
)
@click.option(
    "--weights-out",
    type=click.Path(dir_okay=False),
    help="With --tune: write the fitted weights here (the app reads FUSION_WEIGHTS).",
)
@with_appcontext
def evaluate(
    k: int,
    holdout: int,
    min_positives: int,
    json_path: str | None,
    seed: int,
    tune: bool,
    weights_out: str | None,
) -> None:
    """Hold out recent likes, rebuild vectors without them in a temporary store, score each approach."""
    from app.evaluation.harness import format_table
    from app.evaluation.run_app import evaluate_app_data
    from app.extensions import embedder
    from app.services.ops.evaluation import load_items, load_users
    from app.services.recommendations.lists import fusion_params
    from app.vectors import VectorStoreError

    if weights_out and not tune:
        raise click.ClickException("--weights-out goes with --tune")

    if min_positives <= holdout:
        raise click.ClickException("--min-positives must exceed --holdout, so every scored user keeps some")
    users, items = load_users(holdout, min_positives), load_items()
    if not items.infos:
        raise click.ClickException("the catalog is empty: run flask seed all first")
    if not any(u.held_out for u in users):
        raise click.ClickException(f"no user has {min_positives} positive songs: lower --min-positives")
    # The app's own index is never opened: the evaluation's vectors live in a folder of their own.
    try:
        result = evaluate_app_data(
            users,
            items,
            embedder(),
            fusion_params(),
            k=k,
            seed=seed,
            tune=tune,
            weights_out=weights_out,
            progress=progress_bar,
            log=click.echo,
        )
    except VectorStoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_table(result))
    if json_path:
        Path(json_path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
