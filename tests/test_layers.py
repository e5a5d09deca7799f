"""The code's layers hold: `lint-imports` checks the contracts written in pyproject.toml (each
layer imports only from the layers below it; the service models are independent), so a change
that breaks a layer fails here, in CI."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "lint-imports (import-linter, a test dependency) is not installed"
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and "KEPT" in proc.stdout


def test_no_run_kind_string_is_compared_outside_the_registry():
    """Every kind-specific choice goes through twin/runs/registry.py; nothing else switches on
    the `run:` string of a scenario or a summary."""
    import re

    pattern = re.compile(r"""(\.run|\[["']run["']\]|get\(["']run["'][^)]*\))\s*[!=]=|[!=]=\s*\S*\.run\b""")
    offenders = []
    for path in sorted((ROOT / "twin").rglob("*.py")):
        if path.parent.name == "runs" and path.name == "registry.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
