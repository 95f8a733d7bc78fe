"""Figures to JSON and back, exactly: what siaga/shared_figures.py stores for every process to read.

The dashboard's and the summary API's figures are plain data plus a few types JSON lacks; each is written
as a one-key object naming its type ("$dt", "$text", ...) and read back as the same type:

* times (aware UTC) and dates;
* lazy texts (logistics.texts): kept as their Bahasa Indonesia source and values, so a snapshot computed
  in one request's language is shown in each reader's own;
* enum members and tuples (SQLAlchemy rows become tuples);
* the alert dataclasses, by name from a fixed list (a stored snapshot never names code to run).

Anything else is refused when storing (TypeError), so a new figure of an unknown type fails its test.
"""
from __future__ import annotations

import dataclasses
import enum
import importlib
import json
from datetime import date, datetime
from decimal import Decimal

from babel.support import LazyProxy
from sqlalchemy.engine import Row

from logistics.texts import lazy_text

TAG = "$"


def _dataclasses() -> dict[str, type]:
    from logistics.queries.alerts import Alert, AlertCount

    return {"Alert": Alert, "AlertCount": AlertCount}


def dumps(value) -> str:
    return json.dumps(_encode(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str):
    # Decoded as the parser meets each object (innermost first): a one-key object naming a type is that type
    # (plain dicts never have such a key: `_encode` writes those as "$map"). A kecamatan's ~40 KB snapshot is
    # read this way on every new snapshot a page shows.
    return json.loads(text, object_hook=_object)


def _object(value: dict):
    if len(value) == 1:
        (key, inner), = value.items()
        if key.startswith(TAG):
            return _DECODED[key](inner)
    return value


def _encode(value):
    if value is None or isinstance(value, (bool, int, float)) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": [type(value).__module__, type(value).__qualname__, value.value]}
    if isinstance(value, str):
        return value
    if isinstance(value, LazyProxy):
        context, text, values = value._args  # a plural's text is its two forms (logistics.texts)
        return {"$text": [context, list(text) if isinstance(text, tuple) else text,
                          {k: _encode(v) for k, v in values.items()}]}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (tuple, Row)):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not isinstance(k, enum.Enum) and not k.startswith(TAG) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and _dataclasses().get(name) is type(value):
        return {"$dc": [name, {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}]}
    raise TypeError(f"figures cannot store a {type(value).__qualname__}")


def _enum(inner):
    module, qualname, raw = inner
    if not module.startswith("logistics."):
        raise ValueError(f"not a figure enum: {module}.{qualname}")
    return getattr(importlib.import_module(module), qualname)(raw)


# For `json.loads`'s object_hook: the inner values are decoded already.
_DECODED = {
    "$dt": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$text": lambda inner: lazy_text(*inner),
    "$enum": _enum,
    "$tuple": tuple,
    "$map": lambda inner: {k: v for k, v in inner},
    "$dc": lambda inner: _dataclasses()[inner[0]](**inner[1]),
}

