"""The SMS command parser: forgiving of case, spacing, punctuation and small typos; precise about what
it cannot read."""
from __future__ import annotations

import pytest

from logistics.models.enums import PatientKind, TpsStatus, Triage
from logistics.rules.phones import normalise_phone
from logistics.rules.sms_commands import Command, Problem, fit_sms, parse


@pytest.mark.parametrize("text", ["HADIR 6", "hadir 6", "  Hadir   6 ", "HADIR6", "hadri 6", "HADR 6", "Hadir: 6."])
def test_present_count_forgiving(text):
    assert parse(text) == Command("present", count=6)


@pytest.mark.parametrize("text,step", [
    ("BUKA", TpsStatus.OPEN), ("buka.", TpsStatus.OPEN), ("bkua", TpsStatus.OPEN), ("TUTUP", TpsStatus.VOTING_CLOSED),
    ("tutp", TpsStatus.VOTING_CLOSED), ("HITUNG SELESAI", TpsStatus.COUNTED), ("htung seleasi", TpsStatus.COUNTED),
    ("hitung", TpsStatus.COUNTED), ("SERAH", TpsStatus.HANDED_OVER), ("serahkan", TpsStatus.HANDED_OVER),
])
def test_tps_steps(text, step):
    assert parse(text).tps_step == step


def test_meal_commands():
    assert parse("MAKAN TERIMA 9") == Command("meal", count=9, meal="received")
    assert parse("makan trima 9") == Command("meal", count=9, meal="received")
    assert parse("MAKAN KURANG 6") == Command("meal", count=6, meal="short")
    assert parse("makan tidak") == Command("meal", meal="not_coming")
    assert parse("MAKAN") == Problem("meal", "meal")
    assert parse("MAKAN TERIMA") == Problem("count", "meal_received")
    assert parse("MAKAN TERIMA banyak") == Problem("count", "meal_received")


def test_incident():
    assert parse("SAKIT MERAH PINGSAN") == Command("incident", triage=Triage.MERAH, complaint="Pingsan")
    assert parse("sakit mrah petugas sesak napas") == Command(
        "incident", triage=Triage.MERAH, patient_kind=PatientKind.OFFICER, complaint="Sesak napas")
    assert parse("SAKIT") == Problem("triage", "incident")
    assert parse("SAKIT BIRU PINGSAN") == Problem("triage", "incident")
    assert parse("SAKIT KUNING") == Problem("complaint", "incident")


def test_tps_number_anywhere():
    assert parse("TPS 3 BUKA") == Command("open", tps_number=3)
    assert parse("hadir 6 tps03") == Command("present", count=6, tps_number=3)
    assert parse("TPS 0 BUKA") == Problem("tps")
    assert parse("BUKA TPS-3") == Command("open", tps_number=3)


@pytest.mark.parametrize("text,problem", [
    ("", Problem("empty")), ("   ", Problem("empty")), ("?!", Problem("empty")), ("halo pak", Problem("unknown")),
    ("HADIR", Problem("count", "present")), ("HADIR enam", Problem("count", "present")),
    ("HADIR 99999", Problem("count", "present")), ("HADIR -1", Problem("count", "present")), ("BUKA SEKARANG", Problem("unknown", "open")),
    ("x" * 5000, Problem("unknown")), ("'; DROP TABLE tps; --", Problem("unknown")), ("\x00\x01", Problem("empty")),
])
def test_bad_commands_say_what_is_wrong(text, problem):
    assert parse(text) == problem


def test_help():
    assert parse("bantuan") == Command("help")
    assert parse("BANTU") == Command("help")


@pytest.mark.parametrize("raw", ["081234567890", "0812-3456-7890", "6281234567890", "+62 812 3456 7890",
                                 "81234567890", "(0812) 3456 7890"])
def test_indonesian_numbers_one_form(raw):
    assert normalise_phone(raw) == "+6281234567890"


def test_other_numbers():
    assert normalise_phone("+6590001234") == "+6590001234"
    assert normalise_phone("12") is None
    assert normalise_phone("") is None
    assert normalise_phone("hello") is None


def test_fit_sms_is_gsm7_and_short():
    text = fit_sms("Tercatat — TPS 001: “buka” ✓ " + "x" * 300)
    assert len(text) == 160 and text.startswith('Tercatat - TPS 001: "buka"')


def test_a_composed_command_reads_back_as_itself():
    from logistics.models.enums import PatientKind, TpsStatus, Triage
    from logistics.rules.sms_commands import compose

    assert parse(compose("present", count=7)) == Command("present", count=7)
    for step, action in ((TpsStatus.OPEN, "open"), (TpsStatus.VOTING_CLOSED, "close"),
                         (TpsStatus.COUNTED, "counted"), (TpsStatus.HANDED_OVER, "handed_over")):
        assert parse(compose("step", step=step)).action == action
    assert parse(compose("meal", meal="received", count=9)) == Command("meal", count=9, meal="received")
    assert parse(compose("meal", meal="short", count=6)) == Command("meal", count=6, meal="short")
    assert parse(compose("meal", meal="not_coming")) == Command("meal", meal="not_coming")
    assert parse(compose("incident", triage=Triage.MERAH, patient_kind=PatientKind.OFFICER, complaint="Pingsan")) == \
        Command("incident", triage=Triage.MERAH, patient_kind=PatientKind.OFFICER, complaint="Pingsan")
