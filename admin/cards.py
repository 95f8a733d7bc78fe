"""Printable login cards: A4 pages of 8 cards (2 x 4, cut along the dashed lines), each with the person,
their TPS or station, the username, the one-time PIN and a QR code of the login page with the username
filled in. Made with reportlab; the QR code (segno) is drawn as vector squares, sharp on any printer.

The PDF is made in the request (or command) that creates the PINs and is never stored: the PINs exist
nowhere else. Nothing about a PIN goes into the document's metadata.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from logistics.rules.login_codes import CODE_LIFETIME, printed
from logistics.services.field_accounts import Card

COLUMNS, ROWS = 2, 4
CARD_W, CARD_H = 95 * mm, 68 * mm
QR_SIZE = 30 * mm
PAD = 5 * mm
CARDS_PER_PAGE = COLUMNS * ROWS
INSTRUCTIONS = ("Pindai kode QR (atau buka alamat di bawah) lalu masukkan PIN ini. PIN hanya berlaku",
                f"sekali, selama {CODE_LIFETIME.days} hari: setelah masuk, buat kata sandi baru (minimal 12 karakter).",
                "Jangan berikan PIN kepada siapa pun. Kartu yang dicetak ulang menggantikan kartu ini.")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut with an ellipsis to fit `width`."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of `data` as black squares, one run of dark modules per rectangle, quiet zone included."""
    qr = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                canvas.rect(x + start * module, y + size - (r + 1) * module, (c - start) * module, module,
                            stroke=0, fill=1)
            else:
                c += 1


def _card(canvas: Canvas, card: Card, url: str, x: float, y: float) -> None:
    canvas.setDash(3, 3)
    canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
    canvas.rect(x, y, CARD_W, CARD_H, stroke=1, fill=0)
    canvas.setDash()
    text_w = CARD_W - 2 * PAD - QR_SIZE - 2 * mm
    top = y + CARD_H - PAD
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont("Helvetica-Bold", 8)
    canvas.drawString(x + PAD, top - 3 * mm, "SIAGA TPS · KARTU MASUK")
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(x + PAD, top - 9 * mm, _fit(card.full_name, "Helvetica-Bold", 11, text_w))
    canvas.setFont("Helvetica", 8)
    canvas.drawString(x + PAD, top - 13.5 * mm, _fit(card.role_label, "Helvetica", 8, text_w))
    canvas.drawString(x + PAD, top - 17.5 * mm, _fit(card.place, "Helvetica", 8, text_w))
    canvas.drawString(x + PAD, top - 21.5 * mm, _fit(f"Kecamatan {card.kecamatan}", "Helvetica", 8, text_w))
    canvas.setFont("Helvetica", 7)
    canvas.drawString(x + PAD, top - 27 * mm, "Nama pengguna")
    canvas.setFont("Courier-Bold", 11)
    canvas.drawString(x + PAD, top - 31.5 * mm, _fit(card.username, "Courier-Bold", 11, text_w))
    canvas.setFont("Helvetica", 7)
    canvas.drawString(x + PAD, top - 37 * mm, "PIN sekali pakai")
    canvas.setFont("Courier-Bold", 18)
    canvas.drawString(x + PAD, top - 44 * mm, printed(card.pin))
    _qr(canvas, url, x + CARD_W - PAD - QR_SIZE, top - QR_SIZE, QR_SIZE)
    canvas.setFont("Helvetica", 5.8)
    line_y = y + PAD + 8 * mm
    for line in INSTRUCTIONS:
        canvas.drawString(x + PAD, line_y, _fit(line, "Helvetica", 5.8, CARD_W - 2 * PAD))
        line_y -= 2.6 * mm
    canvas.setFont("Courier", 6.5)
    canvas.drawString(x + PAD, line_y - 0.6 * mm, _fit(url, "Courier", 6.5, CARD_W - 2 * PAD))


def cards_pdf(cards: Iterable[Card], login_url: Callable[[str], str], title: str = "Kartu masuk Siaga TPS") -> bytes:
    """The PDF of `cards`; `login_url(username)` is the URL each QR code opens."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("Siaga TPS")
    page_w, page_h = A4
    left = (page_w - COLUMNS * CARD_W) / 2
    bottom = (page_h - ROWS * CARD_H) / 2
    n = 0
    for n, card in enumerate(cards, 1):
        slot = (n - 1) % CARDS_PER_PAGE
        column, row = slot % COLUMNS, slot // COLUMNS
        _card(canvas, card, login_url(card.username), left + column * CARD_W, bottom + (ROWS - 1 - row) * CARD_H)
        if slot == CARDS_PER_PAGE - 1:
            canvas.showPage()
    if n == 0 or n % CARDS_PER_PAGE:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
