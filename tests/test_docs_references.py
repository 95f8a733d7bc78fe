"""The security document names the tests that show each requirement: every name must still exist."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)`|`(tests/[\w/]+\.py)`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def test_every_test_named_in_security_md_exists():
    missing = []
    for number, line in enumerate((ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8").splitlines(), 1):
        current = None
        for match in REFERENCE.finditer(line):
            path, name, bare_path = match.groups()
            current = path or bare_path or current
            if current is None or not (ROOT / current).exists():
                missing.append(f"line {number}: {current or '::' + str(name) + ' without a file before it'}")
                continue
            if name and name not in _test_names(ROOT / current):
                missing.append(f"line {number}: {current}::{name}")
    assert missing == []
