"""The repository stands on its own: nothing in it points at files a user of the project does
not have (the `../shared/` folder beside the development checkout, its DOMAIN.md and
LAB-NOTES.md). Figures and their sources live in docs/domain.md, lab notes in docs/lab-notes.md.

Rules: every text file under the checked folders (and README.md) is read; a hit is reported as
FILE:LINE: text, all of them at once. This file is the only one allowed to name the patterns.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECKED = ("twin", "real_backends", "tests", "docs", "scenarios", "benchmarks", "README.md", "Makefile")
FORBIDDEN = re.compile(r"\.\./shared|DOMAIN\.md|LAB-NOTES")
SKIPPED_DIRS = {"__pycache__", ".pytest_cache"}


def checked_files():
    for name in CHECKED:
        top = REPO / name
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if path.is_file() and not SKIPPED_DIRS & set(path.parts) and path != Path(__file__).resolve():
                yield path


def references(path: Path, root: Path = REPO):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # binary fixtures cannot refer to anything
        return
    for number, line in enumerate(text.splitlines(), 1):
        if FORBIDDEN.search(line):
            yield f"{path.relative_to(root)}:{number}: {line.strip()}"


def test_the_checker_sees_the_repository_and_locates_a_reference(tmp_path):
    files = list(checked_files())
    assert REPO / "docs" / "domain.md" in files and REPO / "twin" / "cli.py" in files
    assert Path(__file__).resolve() not in files
    planted = tmp_path / "x.py"
    planted.write_text("ok\n# see ../shared/DOMAIN.md s4\n# docs/domain.md s4\n# LAB-NOTES.md\n")
    assert list(references(planted, tmp_path)) == ["x.py:2: # see ../shared/DOMAIN.md s4", "x.py:4: # LAB-NOTES.md"]


def test_no_file_refers_to_the_shared_folder_or_its_notes():
    hits = [hit for path in checked_files() for hit in references(path)]
    advice = "files point outside the repository; cite docs/domain.md (same sections) or docs/lab-notes.md:"
    assert hits == [], "\n".join([advice, *hits])


def test_the_docs_the_code_cites_exist_with_every_section():
    domain = (REPO / "docs" / "domain.md").read_text()
    for number in range(1, 10):
        assert re.search(rf"^## {number}\. ", domain, re.M), f"docs/domain.md has no section {number}"
    assert (REPO / "docs" / "lab-notes.md").is_file()
