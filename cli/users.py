"""`flask users token | tokens | revoke-token`: API tokens for a user."""

import click
from flask.cli import with_appcontext

from app.services import tokens
from app.services.accounts import find_user
from app.services.history import isoformat


def _user(username):
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


def _when(value):
    return isoformat(value)[:16].replace("T", " ") if value else "-"


@click.group()
def users():
    """Manage users' API tokens."""


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for, to tell tokens apart.")
@with_appcontext
def create(username, name):
    """Create an API token for USERNAME and print it (only this once)."""
    user = _user(username)
    try:
        token, plaintext = tokens.create_token(user.id, name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(plaintext)
    click.echo(
        f"Token {token.id} ({token.name!r}) for {user.username}. It is shown only this once: "
        "store it now. Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@users.command("tokens")
@click.argument("username")
@with_appcontext
def list_(username):
    """List USERNAME's API tokens (never the tokens themselves)."""
    user = _user(username)
    rows = tokens.list_tokens(user.id)
    if not rows:
        click.echo(f"{user.username} has no API tokens.")
        return
    click.echo(f"{'id':>5}  {'name':20}  {'prefix':8}  {'created':16}  {'last used':16}  revoked")
    for t in rows:
        click.echo(
            f"{t.id:>5}  {t.name[:20]:20}  {t.prefix:8}  {_when(t.created_at):16}  "
            f"{_when(t.last_used_at):16}  {_when(t.revoked_at)}"
        )


@users.command("revoke-token")
@click.argument("username")
@click.argument("token_id", type=int)
@with_appcontext
def revoke(username, token_id):
    """Revoke USERNAME's token TOKEN_ID; requests with it get 401 from now on."""
    user = _user(username)
    token = tokens.revoke_token(user.id, token_id)
    if token is None:
        raise click.ClickException(f"{user.username} has no token with id {token_id}")
    click.echo(f"Revoked token {token.id} ({token.name!r}, {token.prefix}…) of {user.username}.")
