"""What every field view shares: answering a post, where to go back to."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request

from logistics.errors import ValidationFailed
from siaga.errors import wants_json
from siaga.i18n import register_english
from siaga.redirects import safe_next

register_english({
    # The offline queue's texts (field/templates/field/_layout.html, read by static/field.js).
    "Menunggu dikirim": "Waiting to be sent",
    "Tidak ada sinyal: tersimpan di ponsel, akan dikirim otomatis saat sinyal kembali.":
        "No connection: saved on the phone, sent automatically when the connection returns.",
    "Terkirim": "Sent",
    "Ditolak": "Refused",
    "Kirim sekarang": "Send now",
    "Tutup": "Close",
    "Sedang offline": "Offline",
    "Sedang offline: halaman ini mungkin belum yang terbaru. Kiriman disimpan dan dikirim nanti.":
        "Offline: this page may not be the latest. Submissions are saved and sent later.",
    "Sesi berakhir: silakan masuk lagi. Kiriman tetap tersimpan di ponsel.":
        "Session ended: please log in again. The submissions stay saved on the phone.",
    "Yakin?": "Are you sure?",
    "Batal": "Cancel",
    "Alasan": "Reason",
    "Alasan wajib diisi.": "A reason is required.",
})


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
    flash(message)
    return redirect(target, 303)


