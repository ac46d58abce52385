"""The music recommendation web app: create_app builds it in named steps."""

import hmac
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from .config import Config, TestConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the app; `config` is a Config class, or a mapping of settings (TESTING picks TestConfig)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, config)
    register_extensions(app)
    register_input_limits(app)
    load_fusion_weights(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    start_warm_up(app)
    return app


def load_config(app, config):
    """Apply the chosen configuration class, then any explicit overrides."""
    if isinstance(config, type):
        base = config
    elif isinstance(config, Mapping) and config.get("TESTING"):
        base = TestConfig
    else:
        base = Config
    app.config.from_mapping(base.from_env(app.instance_path))
    if isinstance(config, Mapping):
        app.config.from_mapping(config)
    # The remember-me cookie is as good as a session: over HTTPS it is Secure like the session cookie.
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, login, CSRF protection, the cache, the vector store and the
    embedder to the app; neither of the last two opens or loads anything here."""
    from . import models
    from .database import configure_sqlite
    from .extensions import cache, csrf, db, embedder, login_manager, migrate, vector_store

    db.init_app(app)
    configure_sqlite(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    cache.init_app(app)  # one backend per app: two apps (tests, workers) never share SimpleCache
    vector_store.init_app(app)  # opened on first use, in the process that serves
    embedder.init_app(app)  # the model loads in start_warm_up's thread, or on first use

    @login_manager.user_loader
    def load_user(user_id):
        # The identity is "<id>:<session token>" (User.get_id); logout, a new password and
        # deactivation rotate the token, so cookies issued before no longer match and are refused.
        # Old-style ids without a token are refused too: those browsers log in again once.
        raw_id, _, token = user_id.partition(":")
        if not (raw_id.isascii() and raw_id.isdigit() and token):
            return None
        user = db.session.get(models.User, int(raw_id))
        if user is None or not user.session_token or not hmac.compare_digest(user.session_token, token):
            return None
        # A deactivated user's existing sessions and remember-me cookies stop working at once.
        return user if user.is_active else None


def load_fusion_weights(app):
    """Read For you's fitted weights (FUSION_WEIGHTS) now: a missing or malformed file stops the start
    with its reason, instead of failing the first recommendation request."""
    from .services.recommendations.lists import load_fusion_params

    load_fusion_params(app)


def register_input_limits(app):
    """Bounded ids in routes, JSON depth and body size; before the blueprints add their routes."""
    from .limits import install

    install(app)


def register_blueprints(app):
    """Attach one blueprint per area of the site."""
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .health import bp as health_bp
    from .library import bp as library_bp
    from .profile import bp as profile_bp
    from .recommendations import bp as recommendations_bp
    from .songs import bp as songs_bp
    from .taste import bp as taste_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(songs_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(recommendations_bp)
    app.register_blueprint(taste_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(health_bp)
    app.add_url_rule("/", endpoint="index", view_func=_index)


def _index():
    from flask import redirect, url_for
    from flask_login import current_user

    return redirect(url_for("recommendations.page" if current_user.is_authenticated else "auth.login"))


def register_error_handlers(app):
    """Friendly pages for common HTTP errors, CSRF failures included."""
    from .errors import register

    register(app)


def register_security(app):
    """Login and API write throttling (with its 429 answers), and security headers on every response."""
    from . import security_headers, throttle

    throttle.init_app(app)
    security_headers.init_app(app)


def register_template_helpers(app):
    """Values every template can use."""
    from .spotify_csv.vocab import ACTIVITY_TAGS, EMOTIONS
    from .web import current_path

    app.jinja_env.globals["current_path"] = current_path

    @app.context_processor
    def vocabularies():
        return {"EMOTIONS": EMOTIONS, "ACTIVITY_TAGS": ACTIVITY_TAGS}


def start_warm_up(app: Flask) -> None:
    """Servers start loading the embedding model in a background thread (EMBEDDING_WARMUP), so the
    first profile save doesn't load it in the request; create_app never waits for it. The model
    is the one requests use (`embedder()`), so a request during the load waits for this same load."""
    from .extensions import embedder

    embedder.warm_up(app)


def register_commands(app):
    """Add the `flask seed ...` commands."""
    from cli import register

    register(app)
