"""`flask users create | promote | demote | deactivate | reactivate | token | tokens | revoke-token`."""

import sys

import click
from flask.cli import with_appcontext

from app.services.accounts import tokens
from app.services.accounts.audit import Actor
from app.services.accounts.users import find_user
from app.services.activity.history import isoformat
from app.services.admin import users as user_admin


def _user(username):
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


def _when(value):
    return isoformat(value)[:16].replace("T", " ") if value else "-"


@click.group()
def users():
    """Manage accounts, admins and users' API tokens."""


def _read_password(from_stdin):
    if from_stdin:
        # One line, so `printf '%s\n' "$PW" | flask users create ...` works from scripts.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the new user an admin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (no prompt).")
@with_appcontext
def create_user(username, admin, password_stdin):
    """Create USERNAME, asking for the password (hidden, typed twice)."""
    problems = user_admin.check_new_account(username, None)  # the username alone
    if problems:  # refused before asking for a password that would be thrown away
        raise click.ClickException(f"username {problems['username']}")
    password = _read_password(password_stdin)
    try:
        user = user_admin.create_user(username, password, Actor.cli(), admin=admin)
    except (user_admin.UsernameTaken, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {'admin' if user.is_admin else 'user'} {user.username} (id {user.id}).")


def _set_flags(username, done, **flags):
    user = _user(username)
    try:
        actions = user_admin.set_flags(user, Actor.cli(), **flags)
    except user_admin.LastAdmin as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.username} {done}." if actions else f"{user.username}: nothing to change.")


@users.command("promote")
@click.argument("username")
@with_appcontext
def promote(username):
    """Make USERNAME an admin."""
    _set_flags(username, "is now an admin", is_admin=True)


@users.command("demote")
@click.argument("username")
@with_appcontext
def demote(username):
    """Take admin rights from USERNAME (never from the last active admin)."""
    _set_flags(username, "is no longer an admin", is_admin=False)


@users.command("deactivate")
@click.argument("username")
@with_appcontext
def deactivate(username):
    """Stop USERNAME logging in, their sessions and their tokens; their data stays."""
    _set_flags(username, "is deactivated", is_active=False)


@users.command("reactivate")
@click.argument("username")
@with_appcontext
def reactivate(username):
    """Let a deactivated USERNAME log in again (their tokens work again too)."""
    _set_flags(username, "is active again", is_active=True)


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
