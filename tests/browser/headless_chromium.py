"""A headless Chromium driven over the DevTools protocol, for the report tests.

Rules: Debian's `chromium` package (no browser downloads); it listens on 127.0.0.1 only, on a port
it picks (--remote-debugging-port=0), with a throw-away profile; the process group is killed on
exit, on failure and at interpreter exit. Only file:// pages are opened; background networking,
component updates and sync are off, so nothing leaves the machine.
"""
from __future__ import annotations

import atexit
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

CANDIDATES = ("chromium", "chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--window-size=1280,900"]
LISTENING = re.compile(r"DevTools listening on (ws://127\.0\.0\.1:\d+/devtools/browser/\S+)")

#: What the page reports about itself once every plotly figure has drawn: each figure's SVG and
#: its marks (bars, lines, points), every table's cells as the reader sees them.
INSPECT = """(() => {
  const figs = [...document.querySelectorAll('.js-plotly-plot')].map(d => ({
    id: d.id, traces: (d.data || []).length, svgs: d.querySelectorAll('svg.main-svg').length,
    marks: d.querySelectorAll('.scatterlayer path.js-line, .scatterlayer path.point, .barlayer path, .heatmaplayer image').length,
    width: d.getBoundingClientRect().width, height: d.getBoundingClientRect().height,
    xticks: [...d.querySelectorAll('.xtick text')].map(t => t.textContent),
    yticks: [...d.querySelectorAll('.ytick text')].map(t => t.textContent),
    legend: [...d.querySelectorAll('.legendtext')].map(t => t.textContent)}));
  const tables = [...document.querySelectorAll('table')].map(t =>
    [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim())));
  return JSON.stringify({figs, tables, title: document.title});
})()"""
READY = "[...document.querySelectorAll('.js-plotly-plot')].every(d => d._fullLayout && d.querySelector('svg.main-svg'))"


def find_chromium() -> str | None:
    """$TWIN_CHROMIUM when set (and only it: None if it is not an executable), else chromium on PATH."""
    explicit = os.environ.get("TWIN_CHROMIUM")
    if explicit:
        return shutil.which(explicit)
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Chromium:
    def __init__(self, binary: str, timeout_s: float = 60.0):
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="twin-chromium-")
        self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        atexit.register(self.close)
        deadline = time.monotonic() + timeout_s
        url = None
        while url is None:
            line = self.proc.stderr.readline()
            if not line:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chromium did not start (exit {self.proc.poll()})")
                continue
            match = LISTENING.search(line)
            url = match.group(1) if match else None
        self.origin = url.split("/devtools/")[0]
        self.browser = websocket.create_connection(url, timeout=timeout_s, suppress_origin=True)
        self._id = 0

    def close(self) -> None:
        browser = getattr(self, "browser", None)  # absent when Chromium failed to start
        if browser is not None:
            browser.close()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, ws, method: str, events: list | None = None, **params) -> dict:
        self._id += 1
        ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if events is not None and "method" in message:
                events.append(message)
        raise TimeoutError(method)

    def open(self, page: Path, screenshot: Path | None = None) -> dict:
        """Load `page`, wait for its figures, and return {figs, tables, title, console}: console
        holds every error or warning the page logged or threw."""
        target = self._call(self.browser, "Target.createTarget", url="about:blank")["targetId"]
        ws_url = f"{self.origin}/devtools/page/{target}"
        ws = websocket.create_connection(ws_url, timeout=self.timeout_s, suppress_origin=True)
        events: list = []
        try:
            for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
                self._call(ws, domain, events)
            self._call(ws, "Page.navigate", events, url=page.resolve().as_uri())
            deadline = time.monotonic() + self.timeout_s
            while not any(e["method"] == "Page.loadEventFired" for e in events):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{page} did not load")
                events.append(json.loads(ws.recv()))
            while not self._eval(ws, READY, events):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{page}: the figures did not draw")
                time.sleep(0.1)
            facts = json.loads(self._eval(ws, INSPECT, events))
            if screenshot is not None:
                size = self._call(ws, "Page.getLayoutMetrics", events)["cssContentSize"]
                self._call(ws, "Emulation.setDeviceMetricsOverride", events, width=1280,
                           height=min(int(size["height"]), 8000), deviceScaleFactor=1, mobile=False)
                shot = self._call(ws, "Page.captureScreenshot", events, format="png")
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            facts["console"] = console_problems(events)
            return facts
        finally:
            ws.close()
            self._call(self.browser, "Target.closeTarget", targetId=target)

    def _eval(self, ws, expression: str, events: list):
        result = self._call(ws, "Runtime.evaluate", events, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")


def console_problems(events: list) -> list[str]:
    found = []
    for e in events:
        p = e.get("params", {})
        if e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
            found.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                              for a in p["args"]))
        elif e["method"] == "Runtime.exceptionThrown":
            details = p["exceptionDetails"]
            found.append("exception: " + str(details.get("exception", {}).get("description", details.get("text"))))
        elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            found.append(f"log {p['entry']['level']}: {p['entry']['text']}")
    return found
