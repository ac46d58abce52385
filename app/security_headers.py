"""Security headers on every response: pages, API JSON, error pages and static files.

A few lines in one after_request rather than Flask-Talisman: the whole policy is one dictionary
built from the config and can be read here at a glance, and it needs no new dependency. Talisman's
other features are either handled elsewhere (cookie flags in app/config.py) or belong to the HTTPS
front end that terminates TLS (redirects to HTTPS, HSTS).

The Content-Security-Policy allows exactly what the pages use:
- scripts: htmx, either the pinned CDN file (HTMX_SRC; base.html adds its SRI hash, so a changed file
  is refused) or the copy under /static ('self'). No inline script, no eval: base.html's htmx-config
  turns off htmx's eval features and its inline indicator style.
  When the CDN can't be reached, static/js/htmx-fallback.js loads the committed copy from 'self'.
- styles: static/css/app.css only. Images (the favicon), htmx's requests and form posts: this site.
- frames: Spotify's embedded player only (SPOTIFY_FRAMES; a song page's player, app/songs/listening.py).
  The frame is Spotify's own origin, so this page's policy doesn't reach inside it.
- frame-ancestors 'none' (and X-Frame-Options for older browsers): no page can be framed.

The API's documentation page (/api/v1/docs, app/api/docs.py) sets its own policy, api_docs_policy:
Swagger UI from /static/vendor/swagger-ui/ and its starter static/js/api-docs.js ('self' only, no
htmx), and data: images, which Swagger UI's stylesheet draws its icons with. "Try it out" calls
this site ('self').
"""

from functools import lru_cache

from flask import Flask, Response, current_app

# The embed player's path on its origin (CSP path matching; after a redirect only the origin counts).
SPOTIFY_FRAMES = "https://open.spotify.com/embed/"


@lru_cache(maxsize=8)
def content_security_policy(htmx_src: str) -> str:
    """The CSP for pages that load htmx from htmx_src (a CDN URL or a path on this site)."""
    scripts = ["'self'"]
    if not htmx_src.startswith("/") or htmx_src.startswith("//"):
        scripts.append(htmx_src)  # the exact file, not the whole CDN
    directives = {
        "default-src": "'none'",  # anything not listed below is refused
        "script-src": " ".join(scripts),
        "style-src": "'self'",
        "img-src": "'self'",
        "connect-src": "'self'",
        "frame-src": SPOTIFY_FRAMES,
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def api_docs_policy() -> str:
    """The CSP of the API's documentation page (Swagger UI, served from this site)."""
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers() -> dict[str, str]:
    """The headers every response carries."""
    return {
        "Content-Security-Policy": content_security_policy(current_app.config["HTMX_SRC"]),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # Other sites never learn which page (song, search) a link was followed from.
        "Referrer-Policy": "same-origin",
    }


def add_security_headers(response: Response) -> Response:
    """after_request: add the headers, keeping any a view set on purpose."""
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Install the after_request hook (it also runs for error pages and static files)."""
    app.after_request(add_security_headers)
