"""Not collected by a test run (its name is not test_*.py): the pytest session that
test_live_lab_safety.py starts in a subprocess and stops with SIGTERM, to prove that a session's
SIGTERM handler takes its lab down. It holds the session's lab until it is stopped."""
import time


def test_hold_the_session_lab(lab):
    print(f"holding {lab.name}", flush=True)
    time.sleep(600)
