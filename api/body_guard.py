"""JSON bodies the database cannot store are refused before any view runs (never a 500).

PostgreSQL text cannot hold NUL characters; SQLite's driver cannot encode lone UTF-16 surrogates
("\\ud800"); a JSON body nested thousands deep exhausts Python's recursion while parsing; and an integer of
4,300+ digits is more than Python turns into an int.
"""
from __future__ import annotations

import json

from flask import request

from siaga.errors import error_response
from siaga.fields import bad_text
from siaga.i18n import _

MAX_INT_DIGITS = 100



def bad_string_paths(body) -> list[str]:
    """Dotted paths of keys and strings holding NUL or unpaired surrogates."""
    bad, stack = [], [("", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if bad_text(value):
                bad.append(path or "_body")
        elif isinstance(value, dict):
            for key, inner in value.items():
                inner_path = f"{path}.{key}" if path else str(key)
                if bad_text(key):
                    bad.append(path or "_body")
                else:
                    stack.append((inner_path, inner))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in enumerate(value))
    return sorted(bad)


class _NumberTooLong(ValueError):
    pass


def _bounded_int(text: str) -> int:
    """Python refuses to turn 4,300+ digits into an int (a ValueError past the parser: a 500); no field takes
    more than a few digits, so a number this long is refused as such."""
    if len(text) > MAX_INT_DIGITS:
        raise _NumberTooLong(text[:20])
    return int(text)


def check_json_body():
    """before_request for /api/: None to go on, or the error response."""
    if not request.path.startswith("/api/") or request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return None
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413 here
    try:
        body = json.loads(raw, parse_int=_bounded_int)
    except RecursionError:
        return error_response(400, "bad_request", _("JSON terlalu bertingkat."))
    except _NumberTooLong:
        message = _("Angka terlalu panjang.")
        return error_response(422, "validation_failed", message, {"_body": message})
    except ValueError:
        return None  # the parser answers 400 "Invalid JSON body"
    bad = bad_string_paths(body)
    if bad:
        message = _("Teks berisi karakter yang tidak sah.")
        return error_response(422, "validation_failed", message, {path: message for path in bad})
    return None
