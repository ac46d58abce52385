"""Work a process does off the request path: one daemon thread at a time per job."""

import threading
from collections.abc import Callable


class OneThread:
    """Runs `target` in a named daemon thread, never two at once (a refit asked for during a fit is dropped)."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        self._target = target
        self._name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, before: Callable[[], None] = lambda: None) -> bool:
        """Start a thread unless one is running; `before` runs first, under the same lock. True if started."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            before()
            self._thread = threading.Thread(target=self._target, name=self._name, daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running thread, if any (tests, benchmarks and the CLI)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
