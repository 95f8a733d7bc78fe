"""Officer risk tier from a screening before the day: rendah, sedang, tinggi.

The rule (documented for medics in docs/OPERATIONS.md), after Kemenkes screening practice:
- tinggi (high) if any of: blood pressure >= 160/100 (hypertension stage 2); random blood sugar
  >= 200 mg/dL; a serious condition (heart disease, past stroke, kidney failure, COPD); or age >= 60
  together with any sedang factor; or three or more sedang factors at once.
- sedang (medium) if any of: blood pressure >= 140/90; random blood sugar >= 140 mg/dL; age >= 50;
  a chronic condition (hypertension, diabetes, asthma, obesity, pregnancy).
- rendah (low) otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass

from logistics.models.enums import RiskTier
from logistics.texts import lazy_gettext, source

# Condition key -> (label, a lazy text for the form; serious?). Reasons keep the Bahasa Indonesia.
CONDITIONS: dict[str, tuple[object, bool]] = {
    "penyakit_jantung": (lazy_gettext("Penyakit jantung"), True),
    "stroke": (lazy_gettext("Riwayat stroke"), True),
    "gagal_ginjal": (lazy_gettext("Gagal ginjal"), True),
    "ppok": (lazy_gettext("PPOK (paru obstruktif kronik)"), True),
    "hipertensi": (lazy_gettext("Hipertensi (terdiagnosis)"), False),
    "diabetes": (lazy_gettext("Diabetes"), False),
    "asma": (lazy_gettext("Asma"), False),
    "obesitas": (lazy_gettext("Obesitas"), False),
    "hamil": (lazy_gettext("Hamil"), False),
}


@dataclass(frozen=True)
class Assessment:
    tier: RiskTier
    reasons: tuple[str, ...]  # Bahasa Indonesia, one per factor found


def assess(systolic: int, diastolic: int, blood_sugar: int | None, age: int,
           conditions: tuple[str, ...] | list[str] = ()) -> Assessment:
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise ValueError(f"unknown conditions: {unknown}")
    high: list[str] = []
    medium: list[str] = []
    if systolic >= 160 or diastolic >= 100:
        high.append(f"Tekanan darah {systolic}/{diastolic} (hipertensi derajat 2)")
    elif systolic >= 140 or diastolic >= 90:
        medium.append(f"Tekanan darah {systolic}/{diastolic} (hipertensi derajat 1)")
    if blood_sugar is not None and blood_sugar >= 200:
        high.append(f"Gula darah sewaktu {blood_sugar} mg/dL")
    elif blood_sugar is not None and blood_sugar >= 140:
        medium.append(f"Gula darah sewaktu {blood_sugar} mg/dL")
    if age >= 50:
        medium.append(f"Usia {age} tahun")
    for key in conditions:
        label, serious = CONDITIONS[key]
        (high if serious else medium).append(source(label))
    if not high and age >= 60 and len(medium) >= 2:  # age itself is one of the medium factors
        medium.remove(f"Usia {age} tahun")
        high.append(f"Usia {age} tahun dengan faktor risiko lain")
    if not high and len(medium) >= 3:
        high.append("Tiga faktor risiko atau lebih")
    if high:
        return Assessment(RiskTier.TINGGI, tuple(high + medium))
    if medium:
        return Assessment(RiskTier.SEDANG, tuple(medium))
    return Assessment(RiskTier.RENDAH, ())
