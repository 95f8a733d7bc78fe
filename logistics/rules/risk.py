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

import re
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


# The reasons a screening stores, in Bahasa Indonesia (what the medic was told); shown in the reader's
# language by `reason_label`, which reads the values back out of the stored sentence.
BP_STAGE_2 = lazy_gettext("Tekanan darah {systolic}/{diastolic} (hipertensi derajat 2)")
BP_STAGE_1 = lazy_gettext("Tekanan darah {systolic}/{diastolic} (hipertensi derajat 1)")
BLOOD_SUGAR = lazy_gettext("Gula darah sewaktu {sugar} mg/dL")
AGE = lazy_gettext("Usia {age} tahun")
AGE_PLUS = lazy_gettext("Usia {age} tahun dengan faktor risiko lain")
THREE_FACTORS = lazy_gettext("Tiga faktor risiko atau lebih")
REASONS = (BP_STAGE_2, BP_STAGE_1, BLOOD_SUGAR, AGE_PLUS, AGE, THREE_FACTORS)


def _reason(text, **values) -> str:
    return source(text).format(**values)


def _pattern(text) -> re.Pattern:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>\\d+)", re.escape(source(text))))


_PATTERNS = [(_pattern(text), text) for text in REASONS]


def reason_label(stored: str):
    """A stored reason in the reader's language (a lazy text); one the rule no longer writes stays as it is."""
    for pattern, text in _PATTERNS:
        match = pattern.fullmatch(stored)
        if match:
            return lazy_gettext(source(text), **match.groupdict())
    for label, _serious in CONDITIONS.values():
        if source(label) == stored:
            return label
    return stored


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
        high.append(_reason(BP_STAGE_2, systolic=systolic, diastolic=diastolic))
    elif systolic >= 140 or diastolic >= 90:
        medium.append(_reason(BP_STAGE_1, systolic=systolic, diastolic=diastolic))
    if blood_sugar is not None and blood_sugar >= 200:
        high.append(_reason(BLOOD_SUGAR, sugar=blood_sugar))
    elif blood_sugar is not None and blood_sugar >= 140:
        medium.append(_reason(BLOOD_SUGAR, sugar=blood_sugar))
    if age >= 50:
        medium.append(_reason(AGE, age=age))
    for key in conditions:
        label, serious = CONDITIONS[key]
        (high if serious else medium).append(source(label))
    if not high and age >= 60 and len(medium) >= 2:  # age itself is one of the medium factors
        medium.remove(_reason(AGE, age=age))
        high.append(_reason(AGE_PLUS, age=age))
    if not high and len(medium) >= 3:
        high.append(source(THREE_FACTORS))
    if high:
        return Assessment(RiskTier.TINGGI, tuple(high + medium))
    if medium:
        return Assessment(RiskTier.SEDANG, tuple(medium))
    return Assessment(RiskTier.RENDAH, ())
