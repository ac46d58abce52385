"""Register, log in and log out, with redirects that never leave the site."""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import throttle
from ..services.accounts import users
from . import bp
from .forms import LoginForm, RegisterForm


def safe_next_url(target: str | None) -> str | None:
    """Return target when it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    # Browsers treat "\" like "/", so "/\evil.com" would be protocol-relative.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.register_user(form.username.data, form.password.data)
        except users.UsernameTaken as exc:
            form.username.errors.append(str(exc))
            status = 400
        else:
            login_user(user)
            flash(f"Welcome, {user.username}! Tell us what you like on your profile.", "success")
            return redirect(url_for("profile.show"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@throttle.login_per_account
@throttle.login_per_address
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next_url(request.args.get("next")) or ""
    if current_user.is_authenticated:
        return redirect(safe_next_url(form.next.data) or url_for("index"))
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(form.username.data, form.password.data)
        if user is not None and not user.is_active:
            # Said only after the right password, so it reveals nothing to someone guessing.
            form.username.errors.append("This account is deactivated. Ask an administrator to reactivate it.")
            status = 403
        elif user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next_url(form.next.data) or url_for("index"))
        else:
            form.password.errors.append("Wrong username or password.")
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Rotating the session token ends every session of this account, so a copied session or
    # remember-me cookie is useless after logout (clearing this browser's cookies alone is not).
    users.end_sessions(current_user)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
