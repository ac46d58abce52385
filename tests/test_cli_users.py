"""`flask users token | tokens | revoke-token`."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken
from app.services.accounts import tokens

from .api_support import make_user


def create(runner, username="alice", *args):
    result = runner.invoke(args=["users", "token", username, *args])
    assert result.exit_code == 0, result.output
    token = re.search(r"sb_[\w-]+", result.stdout).group(0)
    return token, result


def test_token_is_printed_once_and_only_its_hash_is_stored(runner, app, user):
    token, result = create(runner, "alice", "--name", "my laptop")
    assert result.stdout.strip() == token  # stdout holds just the token, for scripts
    assert "shown only this once" in result.stderr
    with app.app_context():
        assert tokens.user_for_token(token).username == "alice"
        row = db.session.scalar(sa.select(ApiToken))
        assert row.name == "my laptop" and row.token_hash == tokens.hash_token(token)
    listing = runner.invoke(args=["users", "tokens", "alice"])
    assert listing.exit_code == 0 and "my laptop" in listing.output and token[:8] in listing.output
    assert token not in listing.output


def test_revoke_stops_the_token_and_shows_in_the_list(runner, app, user):
    token, _ = create(runner)
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    result = runner.invoke(args=["users", "revoke-token", "alice", str(token_id)])
    assert result.exit_code == 0 and "Revoked" in result.output
    with app.app_context():
        assert tokens.user_for_token(token) is None
    row = runner.invoke(args=["users", "tokens", "alice"]).output.splitlines()[-1]
    assert row.split()[-1] != "-"  # the revoked column has a date


def test_unknown_users_and_tokens_are_clear_errors(runner, app, user):
    for args in (["token", "nobody"], ["tokens", "nobody"], ["revoke-token", "nobody", "1"]):
        result = runner.invoke(args=["users", *args])
        assert result.exit_code != 0 and "no user named 'nobody'" in result.output
    missing = runner.invoke(args=["users", "revoke-token", "alice", "42"])
    assert missing.exit_code != 0 and "no token with id 42" in missing.output


def test_one_user_cannot_revoke_anothers_token(runner, app, user):
    make_user(app, "bob")
    token, _ = create(runner, "bob")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    result = runner.invoke(args=["users", "revoke-token", "alice", str(token_id)])
    assert result.exit_code != 0
    with app.app_context():
        assert tokens.user_for_token(token).username == "bob"


def test_empty_list_says_so(runner, user):
    assert "no API tokens" in runner.invoke(args=["users", "tokens", "alice"]).output
