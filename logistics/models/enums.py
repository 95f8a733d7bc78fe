"""Every enumerated value of the domain, with its label for people.

Values are stored as short English strings (codes: API fields, CSV, the database); labels are what the
pages show: one lazy text in Bahasa Indonesia, translated through the catalogue when shown
(`siaga.i18n.label`). A label whose Indonesian word has another English meaning elsewhere carries a
context (`lazy_pgettext`).
"""
from __future__ import annotations

import enum

from logistics.texts import lazy_gettext, lazy_pgettext, source


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a label (a lazy text)."""

    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @property
    def label_id(self) -> str:
        """The Bahasa Indonesia label whatever the request's language (exports, audit, PDFs)."""
        return source(self.label)

    def __str__(self) -> str:
        return self.value


class TpsKind(LabelledEnum):
    REGULAR = "regular", lazy_gettext("TPS reguler")
    SPECIAL = "special", lazy_gettext("TPS lokasi khusus")


class TpsStatus(LabelledEnum):
    """Election-day status of a TPS, in the order the day runs."""

    SETUP = "setup", lazy_gettext("Persiapan")
    OPEN = "open", lazy_pgettext("TPS status", "Dibuka")
    VOTING_CLOSED = "voting_closed", lazy_gettext("Pemungutan ditutup")
    COUNTED = "counted", lazy_gettext("Penghitungan selesai")
    HANDED_OVER = "handed_over", lazy_gettext("Kotak diserahkan ke PPS")


class PersonRole(LabelledEnum):
    KPPS_KETUA = "kpps_ketua", lazy_gettext("Ketua KPPS")
    KPPS_ANGGOTA = "kpps_anggota", lazy_gettext("Anggota KPPS")
    LINMAS = "linmas", lazy_gettext("Linmas")
    PPS = "pps", lazy_gettext("PPS")
    COURIER = "courier", lazy_gettext("Kurir")
    MEDIC = "medic", lazy_gettext("Tenaga kesehatan")


class FacilityKind(LabelledEnum):
    PUSKESMAS = "puskesmas", lazy_gettext("Puskesmas")
    HOSPITAL = "rumah_sakit", lazy_gettext("Rumah sakit")


class DeliveryKind(LabelledEnum):
    MEAL = "meal", lazy_gettext("Konsumsi")
    LOGISTICS = "logistics", lazy_gettext("Logistik")


class MealRound(LabelledEnum):
    PAGI = "pagi", lazy_gettext("Makan pagi")
    SIANG = "siang", lazy_gettext("Makan siang")
    MALAM = "malam", lazy_gettext("Makan malam")
    SNACK = "snack", lazy_gettext("Kudapan malam")


class DeliveryStatus(LabelledEnum):
    PLANNED = "planned", lazy_gettext("Direncanakan")
    DISPATCHED = "dispatched", lazy_gettext("Dalam perjalanan")
    # The courier says it is there; the TPS has not confirmed the quantity and receiver yet.
    ARRIVED = "arrived", lazy_gettext("Sampai, belum dikonfirmasi")
    DELIVERED = "delivered", lazy_pgettext("delivery status", "Diterima")
    FAILED = "failed", lazy_gettext("Gagal / tidak datang")


class PatientKind(LabelledEnum):
    OFFICER = "officer", lazy_gettext("Petugas")
    VOTER = "voter", lazy_gettext("Pemilih")
    OTHER = "other", lazy_gettext("Lainnya")


class Triage(LabelledEnum):
    """START triage colours, most urgent first in `URGENCY`."""

    HIJAU = "hijau", lazy_gettext("Hijau")
    KUNING = "kuning", lazy_gettext("Kuning")
    MERAH = "merah", lazy_gettext("Merah")
    HITAM = "hitam", lazy_gettext("Hitam")


class IncidentStatus(LabelledEnum):
    REPORTED = "reported", lazy_gettext("Dilaporkan")
    RESPONDING = "responding", lazy_gettext("Ditangani")
    TREATED_ON_SITE = "treated_on_site", lazy_gettext("Ditangani di tempat")
    REFERRED = "referred", lazy_gettext("Dirujuk")
    CLOSED = "closed", lazy_pgettext("incident status", "Selesai")


class Role(LabelledEnum):
    ADMIN = "admin", lazy_gettext("Admin")
    COORDINATOR = "coordinator", lazy_gettext("Koordinator")
    FIELD_OFFICER = "field_officer", lazy_gettext("Petugas TPS")
    COURIER = "courier", lazy_gettext("Kurir")
    MEDIC = "medic", lazy_gettext("Tenaga kesehatan")
    PARTNER = "partner", lazy_gettext("Mitra")


class RiskTier(LabelledEnum):
    RENDAH = "rendah", lazy_gettext("Rendah")
    SEDANG = "sedang", lazy_gettext("Sedang")
    TINGGI = "tinggi", lazy_gettext("Tinggi")


class CheckinKind(LabelledEnum):
    ELECTION_DAY = "election_day", lazy_gettext("Pemeriksaan hari H")
    FOLLOW_UP = "follow_up", lazy_gettext("Pemantauan lanjutan")
