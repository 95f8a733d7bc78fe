"""What every field view shares: answering a post, where to go back to."""
from __future__ import annotations

from flask import flash, jsonify, redirect

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
})


def back_to(form: dict, default: str) -> str:
    """The form's `next` page when it is a field page (never another site), else `default`."""
    return safe_next(form.get("next"), default, within="/lapangan/")


def done(message: str, target: str):
    """Answer a successful post: JSON for the offline queue's fetch, else flash and redirect."""
    if wants_json():
        return jsonify(ok=True, message=message, redirect=target)
    flash(message)
    return redirect(target, 303)


