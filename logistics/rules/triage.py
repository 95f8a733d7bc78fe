"""START triage: the order in which incidents need a medic."""
from __future__ import annotations

from logistics.models.enums import Triage

# Merah (immediate) first; hitam (dead or expectant) last, it needs no race against time.
URGENCY: dict[Triage, int] = {Triage.MERAH: 0, Triage.KUNING: 1, Triage.HIJAU: 2, Triage.HITAM: 3}


def urgency_rank(level: Triage) -> int:
    return URGENCY[level]
