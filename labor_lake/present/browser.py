"""A headless Chromium driven over its DevTools protocol: open the report as a reader would, at
a given window size, and read what it shows (rendered charts, console errors, a tooltip, the
page's width) or save images of it. Used by the images command and by the tests; needs only
Debian's `chromium` and the `websockets` package.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
# No network of its own (updates, sync, field trials): the page must need none either.
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
          "--disable-background-networking", "--disable-component-update",
          "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
          "--remote-debugging-port=0"]  # fmt: skip


class BrowserError(RuntimeError):
    pass


def chromium_path() -> str | None:
    """Debian's chromium (or another Chromium) on PATH, or CHROMIUM from the environment."""
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


class Page:
    """One tab: navigate, evaluate JavaScript, move the mouse, take screenshots; console errors
    and uncaught exceptions are collected in `errors`, requests in `requests`."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self.events: list[dict] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, timeout: float = 60, **params: Any) -> dict:
        """Send one DevTools command and wait for its answer (events meanwhile are kept)."""
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == number:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict) -> None:
        self.events.append(message)
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details["text"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(
                " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])

    def open(self, url: str, width: int, height: int, mobile: bool = False) -> None:
        """Load `url` in a window `width` px wide (a phone's, with `mobile`: the page's viewport
        meta then decides its layout width) and wait for its load event."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)  # fmt: skip
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait(lambda: any(e.get("method") == "Page.loadEventFired" for e in self.events))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails']['text']}")
        return result["result"].get("value")

    def wait(self, condition: Any, timeout: float = 60, what: str = "") -> None:
        """Until `condition()` (or a JavaScript expression) is true, reading events meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.evaluate(condition) if isinstance(condition, str) else condition()
            if done:
                return
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {what or condition}")
            with contextlib.suppress(TimeoutError):
                self._event(json.loads(self._socket.recv(timeout=0.1)))

    def wait_for_charts(self, timeout: float = 60) -> None:
        """Until every chart of the report is drawn or has failed."""
        self.wait(
            "[...document.querySelectorAll('.vega-chart')]"
            ".every(e => e.dataset.rendered === 'true' || e.dataset.rendered === 'failed')",
            timeout,
            "the charts to be drawn",
        )

    def hover(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)

    def screenshot(self, path: Path, clip: dict | None = None, full_page: bool = True) -> None:
        """A PNG of the page (all of it, or the `clip` box in page pixels)."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        elif full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                              "scale": 1}  # fmt: skip
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", **params)["data"]))


@contextlib.contextmanager
def browser(chromium: str | None = None) -> Iterator[Page]:
    """A headless Chromium with one page, closed afterwards."""
    executable = chromium or chromium_path()
    if executable is None:
        raise BrowserError("no Chromium found: install Debian's chromium or set CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="labor-lake-chromium-") as profile:
        process = subprocess.Popen(
            [executable, *_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            endpoint = _endpoint(process)
            port = endpoint.split(":")[2].split("/")[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
                targets = json.load(answer)
            page = next(t for t in targets if t["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
                yield Page(socket)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _endpoint(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if match := _LISTENING.search(line):
            # Keep reading what Chromium writes, so that a full pipe never stalls it.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return match.group(1)
    raise BrowserError("Chromium did not start: " + "".join(seen)[-2000:])
