"""What every field view shares: answering a post, where to go back to."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request

from logistics.errors import ValidationFailed
from siaga.errors import wants_json
from siaga.redirects import safe_next



def ask_first(question: str, yes: str, form: dict, back: str, *, reason: str | None = None):
    """A step that cannot simply be undone asks first. Without JavaScript the first post answers
    with this page: the question and a "Ya, ..." button re-posting the same fields with `confirm=1`
    (and, when `reason` is a prompt, a reason field that must be filled). With JavaScript the form
    carries `data-confirm` and field.js asks in a <dialog> before sending, so the submission (queued
    offline too) already holds `confirm=1` and never lands here; a JSON post without it is refused
    with the question, shown, not retried."""
    if wants_json():
        fields = {"confirm": question}
        if reason:
            fields["reason"] = reason
        raise ValidationFailed(question, fields)
    carried = [(name, str(value)) for name, value in form.items()
               if value is not None and name not in ("confirm", "reason")]
    return render_template("field/confirm.html", question=question, yes=yes, carried=carried, back=back,
                           action=request.path, reason_prompt=reason, reason=form.get("reason") or "",
                           reason_missing=bool(reason and form.get("confirm")))


def back_to(form: dict, default: str) -> str:
    """The form's `next` page when it is a field page (never another site), else `default`."""
    return safe_next(form.get("next"), default, within="/lapangan/")


def done(message: str, target: str):
    """Answer a successful post: JSON for the offline queue's fetch, else flash and redirect."""
    if wants_json():
        return jsonify(ok=True, message=message, redirect=target)
    flash(str(message))  # a lazy text does not go into the session cookie
    return redirect(target, 303)


