"""Throttling with Flask-Limiter: failed logins and API writes, per account and per client address.

Two keys for each, because each alone has a gap: a limit per account stops guessing one person's
password from many addresses, a limit per address stops one client trying many accounts.

Counters live where RATELIMIT_STORAGE_URI says. The default, memory://, counts in each process, so
with several gunicorn workers every worker counts on its own (the effective limit is multiplied
by the number of workers); `redis://host:6379` or `memcached://host:11211` shares one count
between workers and machines (they need the `redis` or `pymemcache` package).

The limits are settings (LOGIN_LIMIT_PER_ACCOUNT, ...), read on each request, so tests and
deployments change them without code; TestConfig sets them high so that only the tests about
throttling are throttled.
"""

import math
import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from limits import parse_many

from .errors import error_response
from .extensions import limiter
from .services.accounts.tokens import token_owner_id
from .services.accounts.users import normalise_username

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
LIMIT_SETTINGS = (
    "LOGIN_LIMIT_PER_ACCOUNT",
    "LOGIN_LIMIT_PER_ADDRESS",
    "API_WRITE_LIMIT_PER_ACCOUNT",
    "API_WRITE_LIMIT_PER_ADDRESS",
)


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def client_address() -> str:
    """Key for the limits per client address: the connection's peer address.

    Behind a reverse proxy every request comes from the proxy; wrap the app in Werkzeug's ProxyFix
    there, so that remote_addr is the client's address again.
    """
    return "address:" + (request.remote_addr or "unknown")


def login_account() -> str:
    """Key for the login limit per account: the username as typed, matched as accounts match it."""
    return "account:" + normalise_username(request.form.get("username"))


def api_account() -> str:
    """Key for the API write limit per account: the Bearer token's owner or the session's user."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        # Limits are checked before the API authenticates the request (an app-wide before_request),
        # so the token's owner is looked up here: one indexed query, and all of a user's tokens
        # share one count. An unknown token is counted against the address alone.
        user_id = token_owner_id(token.strip())
    elif current_user.is_authenticated:
        user_id = current_user.id
    else:
        user_id = None
    return f"account:{user_id}" if user_id is not None else client_address()


def login_failed(response: Response) -> bool:
    """Only failures count: a successful login redirects; a wrong password, a deactivated account
    or an invalid form answers 4xx. So people who log in often are never throttled."""
    return response.status_code >= 400


# Checked before the password is (a correct password after too many failures is refused too), and
# only on POST, so the login page itself always loads.
login_per_account = limiter.limit(
    _setting("LOGIN_LIMIT_PER_ACCOUNT"), key_func=login_account, methods=["POST"], deduct_when=login_failed
)
login_per_address = limiter.limit(
    _setting("LOGIN_LIMIT_PER_ADDRESS"), key_func=client_address, methods=["POST"], deduct_when=login_failed
)


def limit_api_writes(blueprint: Blueprint) -> None:
    """Limit the blueprint's writes (POST, PUT, PATCH, DELETE), all routes sharing one count."""
    limiter.shared_limit(
        _setting("API_WRITE_LIMIT_PER_ACCOUNT"),
        scope="api-writes-account",
        key_func=api_account,
        methods=WRITE_METHODS,
    )(blueprint)
    limiter.shared_limit(
        _setting("API_WRITE_LIMIT_PER_ADDRESS"),
        scope="api-writes-address",
        key_func=client_address,
        methods=WRITE_METHODS,
    )(blueprint)


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets requests through again (at least 1)."""
    broken = limiter.current_limit
    if broken is None:
        return 60
    return max(1, math.ceil(broken.window.reset_time - time.time()))


def _wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{round(seconds / 60)} minutes"


def too_many_requests(error: Exception) -> ResponseReturnValue:
    """429 with Retry-After: the login page with a message on it, JSON on the API, a page elsewhere."""
    seconds = retry_after_seconds()
    headers = {"Retry-After": str(seconds)}
    if request.endpoint == "auth.login":
        from .auth.forms import LoginForm

        # Said for unknown usernames too, so the message reveals nothing about which accounts exist.
        message = (
            f"Too many failed login attempts. Logging in is paused: try again in {_wait_in_words(seconds)}."
        )
        return render_template("auth/login.html", form=LoginForm(), throttled=message), 429, headers
    return error_response(429, f"Too many requests. Try again in {_wait_in_words(seconds)}.", headers)


def init_app(app: Flask) -> None:
    """Check the limit settings, bind the limiter to the app and answer its 429s."""
    for name in LIMIT_SETTINGS:
        # Flask-Limiter logs a limit it cannot parse and then skips it: a typo would quietly turn
        # throttling off, so a bad setting stops the app at start instead.
        try:
            parse_many(app.config[name])
        except ValueError as exc:
            raise ValueError(
                f"{name}={app.config[name]!r} is not a rate limit like '10 per 15 minutes'"
            ) from exc
    limiter.init_app(app)
    app.register_error_handler(429, too_many_requests)
