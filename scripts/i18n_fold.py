"""Fold `register_english({...})` calls (the catalogue before Flask-Babel) into the English .po.

`scripts/i18n.sh fold` runs it: every literal pair of every `register_english` call in the given files
(default: every .py of the project) goes into siaga/translations/en/LC_MESSAGES/messages.po, the calls
and their imports are removed from the source, and a text that already has a *different* English (in the
.po or in another call) is reported instead of overwritten: such a word needs a context (`pgettext`).
Entries that are not literals (comprehensions, `**` spreads) are reported for a hand edit.
Made for the migration to Flask-Babel (issue 13) and kept for branches written before it.
"""
from __future__ import annotations

import ast
import pathlib
import sys

from babel.messages.pofile import read_po, write_po

ROOT = pathlib.Path(__file__).resolve().parent.parent
PO = ROOT / "siaga/translations/en/LC_MESSAGES/messages.po"
SKIP = {".venv", "migrations", "tools", "node_modules", "tests", "scripts", "bench"}


def project_files() -> list[pathlib.Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIP & set(p.relative_to(ROOT).parts))


def calls_in(tree: ast.Module) -> list[ast.Expr]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "register_english"]


def pairs_of(call: ast.Call, where: str, problems: list[str]) -> list[tuple[str, str]]:
    found = []
    argument = call.args[0] if call.args else None
    if not isinstance(argument, ast.Dict):
        problems.append(f"{where}: not a literal dict; fold by hand")
        return found
    for key, value in zip(argument.keys, argument.values):
        try:
            found.append((ast.literal_eval(key), ast.literal_eval(value)))
        except (ValueError, TypeError, SyntaxError):
            problems.append(f"{where}: entry {ast.unparse(key) if key else '**' + ast.unparse(value)} is not literal")
    return found


def without_import(line: str) -> str | None:
    """The import line without `register_english` (None: nothing left to import)."""
    head, _, names = line.partition(" import ")
    kept = [n.strip() for n in names.strip().rstrip(",").split(",") if n.strip() and n.strip() != "register_english"]
    return f"{head} import {', '.join(kept)}\n" if kept else None


def main(paths: list[str]) -> int:
    files = [pathlib.Path(p).resolve() for p in paths] if paths else project_files()
    with open(PO, "rb") as handle:
        catalogue = read_po(handle, locale="en")
    problems: list[str] = []
    folded = 0
    for path in files:
        source = path.read_text(encoding="utf-8")
        if "register_english" not in source:
            continue
        tree = ast.parse(source)
        lines = source.splitlines(keepends=True)
        drop: set[int] = set()
        kept_calls = 0
        for statement in calls_in(tree):
            where = f"{path.relative_to(ROOT)}:{statement.lineno}"
            before = len(problems)
            for msgid, english in pairs_of(statement.value, where, problems):
                stored = catalogue.get(msgid)
                if stored is not None and stored.string and stored.string != english:
                    problems.append(f"{where}: {msgid!r} is {stored.string!r} already, here {english!r}: "
                                    "two meanings? use pgettext with a context")
                    continue
                catalogue.add(msgid, english)
                folded += 1
            if len(problems) == before:
                drop.update(range(statement.lineno - 1, statement.end_lineno))
            else:
                kept_calls += 1  # left in place for a hand edit
        out = []
        for index, line in enumerate(lines):
            if index in drop:
                continue
            if not kept_calls and line.startswith("from siaga.i18n import") and "register_english" in line:
                line = without_import(line)
                if line is None:
                    continue
            out.append(line)
        path.write_text("".join(out), encoding="utf-8")
    with open(PO, "wb") as handle:
        write_po(handle, catalogue, width=110, sort_output=True)
    print(f"folded {folded} pairs into {PO.relative_to(ROOT)}")
    for problem in problems:
        print("CHECK", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
