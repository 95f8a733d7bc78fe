"""Every enumerated value of the domain, with its Bahasa Indonesia label for people.

Values are stored as short English strings; labels are what the pages show.
"""
from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a Bahasa Indonesia label (and an English one)."""

    def __new__(cls, value: str, label_id: str, label_en: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_id = label_id
        member.label_en = label_en
        return member

    def __str__(self) -> str:
        return self.value


class TpsKind(LabelledEnum):
    REGULAR = "regular", "TPS reguler", "Regular polling station"
    SPECIAL = "special", "TPS lokasi khusus", "Special-location polling station"


class TpsStatus(LabelledEnum):
    """Election-day status of a TPS, in the order the day runs."""

    SETUP = "setup", "Persiapan", "Setting up"
    OPEN = "open", "Dibuka", "Open"
    VOTING_CLOSED = "voting_closed", "Pemungutan ditutup", "Voting closed"
    COUNTED = "counted", "Penghitungan selesai", "Counting finished"
    HANDED_OVER = "handed_over", "Kotak diserahkan ke PPS", "Ballot box handed to PPS"


class PersonRole(LabelledEnum):
    KPPS_KETUA = "kpps_ketua", "Ketua KPPS", "KPPS chair"
    KPPS_ANGGOTA = "kpps_anggota", "Anggota KPPS", "KPPS member"
    LINMAS = "linmas", "Linmas", "Community guard (Linmas)"
    PPS = "pps", "PPS", "Village election committee (PPS)"
    COURIER = "courier", "Kurir", "Courier"
    MEDIC = "medic", "Tenaga kesehatan", "Medic"


class FacilityKind(LabelledEnum):
    PUSKESMAS = "puskesmas", "Puskesmas", "Community health centre"
    HOSPITAL = "rumah_sakit", "Rumah sakit", "Hospital"


class DeliveryKind(LabelledEnum):
    MEAL = "meal", "Konsumsi", "Meal"
    LOGISTICS = "logistics", "Logistik", "Election logistics"


class MealRound(LabelledEnum):
    PAGI = "pagi", "Makan pagi", "Breakfast"
    SIANG = "siang", "Makan siang", "Lunch"
    MALAM = "malam", "Makan malam", "Dinner"
    SNACK = "snack", "Kudapan malam", "Late snack"


class DeliveryStatus(LabelledEnum):
    PLANNED = "planned", "Direncanakan", "Planned"
    DISPATCHED = "dispatched", "Dalam perjalanan", "Dispatched"
    # The courier says it is there; the TPS has not confirmed the quantity and receiver yet.
    ARRIVED = "arrived", "Sampai, belum dikonfirmasi", "Arrived, not confirmed"
    DELIVERED = "delivered", "Diterima", "Delivered"
    FAILED = "failed", "Gagal / tidak datang", "Failed / no-show"


class PatientKind(LabelledEnum):
    OFFICER = "officer", "Petugas", "Officer"
    VOTER = "voter", "Pemilih", "Voter"
    OTHER = "other", "Lainnya", "Other"


class Triage(LabelledEnum):
    """START triage colours, most urgent first in `URGENCY`."""

    HIJAU = "hijau", "Hijau", "Green"
    KUNING = "kuning", "Kuning", "Yellow"
    MERAH = "merah", "Merah", "Red"
    HITAM = "hitam", "Hitam", "Black"


class IncidentStatus(LabelledEnum):
    REPORTED = "reported", "Dilaporkan", "Reported"
    RESPONDING = "responding", "Ditangani", "Responding"
    TREATED_ON_SITE = "treated_on_site", "Ditangani di tempat", "Treated on site"
    REFERRED = "referred", "Dirujuk", "Referred"
    CLOSED = "closed", "Selesai", "Closed"


class Role(LabelledEnum):
    ADMIN = "admin", "Admin", "Administrator"
    COORDINATOR = "coordinator", "Koordinator", "Coordinator"
    FIELD_OFFICER = "field_officer", "Petugas TPS", "TPS officer"
    COURIER = "courier", "Kurir", "Courier"
    MEDIC = "medic", "Tenaga kesehatan", "Medic"
    PARTNER = "partner", "Mitra", "Partner agency"


class RiskTier(LabelledEnum):
    RENDAH = "rendah", "Rendah", "Low"
    SEDANG = "sedang", "Sedang", "Medium"
    TINGGI = "tinggi", "Tinggi", "High"


class CheckinKind(LabelledEnum):
    ELECTION_DAY = "election_day", "Pemeriksaan hari H", "Election-day check"
    FOLLOW_UP = "follow_up", "Pemantauan lanjutan", "Follow-up check"
