"""The reports in a real browser: one headless Chromium per test session (tests/browser/headless_chromium.py).

Where Chromium is missing the tests are skipped with the reason printed, except with CI=true,
where they fail: CI must have Debian's `chromium` package (apt-get install chromium).
The browser's process group is killed when the session ends, on failure, on Ctrl-C and on SIGTERM.
Screenshots go to $TWIN_BROWSER_SHOTS when set (to look at), else to pytest's temporary folder.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from headless_chromium import Chromium, find_chromium


@pytest.fixture(scope="session")
def chromium():
    binary = find_chromium()
    if binary is None:
        reason = "no Chromium (apt-get install chromium, or set TWIN_CHROMIUM): the reports are not checked in a browser"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        print(f"\nSKIP tests/browser: {reason}")
        pytest.skip(reason)
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:  # SIGTERM unwinds like Ctrl-C, so the browser is killed on the way out
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with Chromium(binary) as browser:
            yield browser
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TWIN_BROWSER_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
