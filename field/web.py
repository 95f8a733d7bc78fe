"""What every field view shares: parsing form values, answering a post, the day being worked."""
from __future__ import annotations


from flask import flash, jsonify, redirect, request

from logistics.errors import ValidationFailed
from siaga.errors import wants_json
from siaga.i18n import _, register_english

register_english({
    "Isi dengan angka bulat.": "Enter a whole number.",
    "Wajib diisi.": "Required.",
    "Isian tidak valid.": "Invalid input.",
    "Angka terlalu besar.": "The number is too large.",
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


def form_int(name: str, required: bool = True, default: int | None = None) -> int | None:
    """An integer form field, or a per-field ValidationFailed (never a 500)."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required and default is None:
            raise ValidationFailed(_("Isian tidak valid."), {name: _("Wajib diisi.")})
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(_("Isian tidak valid."), {name: _("Isi dengan angka bulat.")})
    if not fits_id(value):
        raise ValidationFailed(_("Isian tidak valid."), {name: _("Angka terlalu besar.")})
    return value


MAX_INT = 2**31 - 1  # INTEGER columns: larger numbers would overflow the database driver


def fits_id(value: int | None) -> bool:
    return value is None or -MAX_INT <= value <= MAX_INT


def arg_int(name: str) -> int | None:
    """An integer query-string value, or None when missing, malformed or out of range."""
    value = request.args.get(name, type=int)
    return value if fits_id(value) else None


def form_text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def done(message: str, target: str):
    """Answer a successful post: JSON for the offline queue's fetch, else flash and redirect."""
    if wants_json():
        return jsonify(ok=True, message=message, redirect=target)
    flash(message)
    return redirect(target, 303)


