"""HTML forms and query strings parsed by a schema: a bad value is a ValidationFailed with a message per
field (the one error path: a 422 page for browsers, the JSON error shape for fetch), never a 500.

    class ReceiptForm(FormSchema):
        quantity_received = FormInt(0, 100_000)

    @bp.post("/kiriman/<int(max=...):delivery_id>")
    @requires(Permission.DELIVERY_MOVE)
    @idempotent
    @with_form(ReceiptForm)            # the view gets form={...}
    def delivery_update(delivery_id, form): ...

`with_form` parses POSTs only (a GET of a GET/POST page gets form=None); `with_query` parses the query
string of every request (query={...}). Both mark the view (`form_schema`, `query_schema`), which the fuzz
test (tests/test_fuzz_forms.py) reads to throw bad values at every field of every route.
"""
from __future__ import annotations

from functools import wraps

import marshmallow as ma
from flask import current_app, request

from logistics.errors import ValidationFailed
from siaga.errors import flatten_messages
from siaga.fields import FormList
from siaga.i18n import _



class FormSchema(ma.Schema):
    """Fields not declared (csrf_token, idempotency_key, lang, ...) are left alone."""

    class Meta:
        unknown = ma.EXCLUDE


def _values(schema: ma.Schema, source) -> dict:
    """The source's values for the schema's fields; an empty input is a value not given."""
    data = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if isinstance(field, FormList):
            values = [v for v in source.getlist(key) if v.strip()]
            if values:
                data[key] = values
        else:
            value = source.get(key)
            if value is not None and value.strip():
                data[key] = value
    return data


def load(schema_cls: type[ma.Schema], source) -> dict:
    """The parsed values, or ValidationFailed with {field: message}."""
    schema = schema_cls()
    try:
        return schema.load(_values(schema, source))
    except ma.ValidationError as exc:
        raise ValidationFailed(_("Periksa isian."), flatten_messages({"form": exc.messages}))


def with_form(schema_cls: type[ma.Schema], inline_errors: bool = False):
    """Parse a POST's form with `schema_cls` and pass it as `form`. With inline_errors the view shows the
    errors itself (next to the form it renders): it gets form=None and `form_errors` then."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            form, errors = None, {}
            if request.method == "POST":
                try:
                    form = load(schema_cls, request.form)
                except ValidationFailed as exc:
                    if not inline_errors:
                        raise
                    errors = exc.fields
            if inline_errors:
                kwargs["form_errors"] = errors
            return view(*args, form=form, **kwargs)

        wrapped.form_schema = schema_cls
        return wrapped

    return decorator


def parsed_query(schema_cls: type[ma.Schema]) -> dict:
    """The query string parsed with `schema_cls` (what `with_query` passes the view), for what runs before
    the view (a live page's tag: maps/dashboard.py)."""
    return load(schema_cls, request.args)


def with_query(schema_cls: type[ma.Schema]):
    """Parse the query string with `schema_cls` and pass it as `query`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, query=parsed_query(schema_cls), **kwargs)

        wrapped.query_schema = schema_cls
        return wrapped

    return decorator


def number_max(endpoint: str, name: str) -> int:
    """The largest whole number the form field `name` of the view at `endpoint` accepts (its FormInt's high):
    a page's `max` from the schema, like `text_limit`."""
    return current_app.view_functions[endpoint].form_schema._declared_fields[name].high


def text_limit(endpoint: str, name: str) -> int:
    """The most characters the form field `name` of the view at `endpoint` accepts: its schema's
    FormText limit, so a page's `maxlength` and counter never disagree with what the server takes."""
    schema = current_app.view_functions[endpoint].form_schema
    return schema._declared_fields[name].max_length
