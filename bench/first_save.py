"""Benchmark: the first profile save after a server start, with the model warm-up off and on.

    python bench/first_save.py [--runs 3] [--waits 0,20]

Starts gunicorn as `make serve` does (gunicorn.conf.py) on a small temporary database (50
demo songs, user0), with the real sentence-transformers model. For each run and each setting of
EMBEDDING_WARMUP (off: the model loads in the first request that needs it; auto: in a background
thread from create_app), it waits until the server answers, logs in, waits `wait` more seconds, and
times the first POST /profile/ (a new bio, so the preference text must be embedded), then a second
one. Both are timed from the client over loopback: server time plus well under a millisecond.
"""

import argparse
import http.cookiejar
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = 8917


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def client():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def request(opener, path, data=None):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    try:
        with opener.open(f"http://127.0.0.1:{PORT}{path}", body, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:  # 302 after a post (redirects are not followed)
        return error.code, error.read().decode()


def token(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def prepare(tmp, env):
    def flask(*args):
        subprocess.run([str(BIN / "flask"), *args], env=env, check=True, capture_output=True)

    flask("db", "upgrade")
    flask("seed", "songs", str(ROOT / "data" / "demo_songs.csv"), "--limit", "50")
    flask("seed", "users", "--count", "1")


def one_run(env, warmup, wait, run):
    env = {**env, "EMBEDDING_WARMUP": warmup}
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{PORT}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        opener = client()
        while True:
            try:
                if request(opener, "/auth/login")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.05)
        up = time.perf_counter() - started
        status, _ = request(
            opener,
            "/auth/login",
            {
                "username": "user0",
                "password": "user0@000",
                "csrf_token": token(request(opener, "/auth/login")[1]),
            },
        )
        assert status == 302, status
        time.sleep(wait)
        times = []
        for n in range(2):
            form = {
                "age": "30",
                "bio": f"run {run} save {n} {warmup} {time.time()}",
                "emotions": ["joy"],
                "csrf_token": token(request(opener, "/profile/")[1]),
            }
            start = time.perf_counter()
            status, _ = request(opener, "/profile/", form)
            times.append(time.perf_counter() - start)
            assert status == 302, status
        return up, times
    finally:
        server.terminate()
        server.wait(30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--waits", default="0,20", help="seconds between the server answering and the save")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "FLASK_APP": "app",
            "DATABASE_URL": f"sqlite:///{tmp}/first.db",
            "VECTORS_PATH": f"{tmp}/vectors",
            "SECRET_KEY": "bench-only-" + "x" * 32,
        }
        prepare(tmp, env)
        print(
            f"{'warm-up':8}{'wait s':>8}{'run':>5}{'server up s':>13}{'first save s':>14}{'second save s':>15}"
        )
        for wait in (float(w) for w in args.waits.split(",")):
            for warmup in ("off", "auto"):
                for run in range(args.runs):
                    up, (first, second) = one_run(env, warmup, wait, run)
                    print(
                        f"{warmup:8}{wait:>8.0f}{run:>5}{up:>13.2f}{first:>14.2f}{second:>15.3f}", flush=True
                    )


if __name__ == "__main__":
    main()
