"""START triage: the order in which incidents need a medic."""
from __future__ import annotations

from logistics.models.enums import Triage
from logistics.texts import lazy_gettext

# Merah (immediate) first; hitam (dead or expectant) last, it needs no race against time.
URGENCY: dict[Triage, int] = {Triage.MERAH: 0, Triage.KUNING: 1, Triage.HIJAU: 2, Triage.HITAM: 3}


def urgency_rank(level: Triage) -> int:
    return URGENCY[level]


# What the people at the TPS do while the medic is on the way, per triage colour: the one place these
# first-aid steps are written (the officer's incident page shows them after a report).
WHILE_WAITING: dict[Triage, tuple] = {
    Triage.MERAH: (
        lazy_gettext("Telepon pos kesehatan sekarang, lalu jangan tinggalkan pasien: satu orang terus menemani "
                     "dan memperhatikan napasnya."),
        lazy_gettext("Baringkan pasien di tempat aman dan teduh, longgarkan pakaian yang ketat."),
        lazy_gettext("Tidak sadar tetapi bernapas: miringkan pasien (posisi pemulihan) agar jalan napas terbuka."),
        lazy_gettext("Tidak bernapas: minta orang yang terlatih memulai tekan dada (RJP) sampai petugas datang."),
        lazy_gettext("Perdarahan: tekan kuat lukanya dengan kain bersih."),
        lazy_gettext("Jangan beri makan atau minum."),
    ),
    Triage.KUNING: (
        lazy_gettext("Dudukkan atau baringkan pasien di tempat teduh; jangan biarkan berjalan sendiri."),
        lazy_gettext("Bila sadar penuh dan tidak mual, beri minum air sedikit-sedikit."),
        lazy_gettext("Pantau terus. Bila menjadi tidak sadar, sesak atau nyeri dada: telepon pos kesehatan, itu "
                     "merah."),
    ),
    Triage.HIJAU: (
        lazy_gettext("Istirahatkan pasien di tempat teduh dan beri minum air."),
        lazy_gettext("Bila memburuk, telepon pos kesehatan atau laporkan lagi dengan warna yang sesuai."),
    ),
    Triage.HITAM: (
        lazy_gettext("Telepon pos kesehatan. Jaga tempatnya dan jauhkan orang banyak sampai petugas datang."),
    ),
}


def while_waiting(level: Triage) -> tuple:
    return WHILE_WAITING[level]
