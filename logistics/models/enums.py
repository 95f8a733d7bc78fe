"""Every enumerated value of the domain, with its label for people.

Values are stored as short English strings (codes: API fields, CSV, the database); labels are what the
pages show: one lazy text in Bahasa Indonesia, translated through the catalogue when shown
(`siaga.i18n.label`). A label whose Indonesian word has another English meaning elsewhere carries a
context (`lazy_pgettext`). The statuses of a TPS's day, a delivery and an incident are stated with their
lifecycles (logistics.rules.lifecycles) and re-exported here.
"""
from __future__ import annotations

from logistics.rules.lifecycles.delivery import DeliveryStatus
from logistics.rules.lifecycles.incident import IncidentStatus
from logistics.rules.lifecycles.tps_day import TpsStatus
from logistics.texts import LabelledEnum, lazy_gettext

__all__ = ["CheckinKind", "DeliveryKind", "DeliveryStatus", "FacilityKind", "IncidentStatus", "LabelledEnum",
           "MealRound", "PatientKind", "PersonRole", "RiskTier", "Role", "TpsKind", "TpsStatus", "Triage"]


class TpsKind(LabelledEnum):
    REGULAR = "regular", lazy_gettext("TPS reguler")
    SPECIAL = "special", lazy_gettext("TPS lokasi khusus")


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


class ElectionKind(LabelledEnum):
    PEMILU = "pemilu", lazy_gettext("Pemilu")
    PILKADA = "pilkada", lazy_gettext("Pilkada")
    PILKADA_ULANG = "pilkada_ulang", lazy_gettext("Pilkada Ulang")
    PSU = "psu", lazy_gettext("Pemungutan Suara Ulang")
    DRILL = "drill", lazy_gettext("Latihan")
