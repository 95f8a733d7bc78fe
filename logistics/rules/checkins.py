"""When medics check on an officer, by risk tier: during election day (in the officer's area's zone) and on the
follow-up days after it, when most of the 2019 deaths happened."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from logistics.models.enums import CheckinKind, RiskTier
from logistics.rules.time_zones import WIB, AreaZone
from logistics.timeutil import local_at

DAY_CHECKS: dict[RiskTier, tuple[time, ...]] = {
    RiskTier.TINGGI: (time(9, 0), time(13, 0), time(17, 0), time(21, 0)),
    RiskTier.SEDANG: (time(12, 0), time(20, 0)),
    RiskTier.RENDAH: (),
}
FOLLOW_UP_DAYS: dict[RiskTier, tuple[int, ...]] = {
    RiskTier.TINGGI: (1, 2, 3, 4, 5, 6, 7),
    RiskTier.SEDANG: (1, 3, 7),
    RiskTier.RENDAH: (1,),
}
FOLLOW_UP_AT = time(10, 0)
# The tinggi tier is also checked once after midnight while counting goes on.
AFTER_MIDNIGHT = time(1, 0)


def schedule(tier: RiskTier, election_day: date, zone: AreaZone = WIB) -> list[tuple[CheckinKind, datetime]]:
    """(kind, due time in UTC) for every check-in of one officer, in time order."""
    due = [(CheckinKind.ELECTION_DAY, local_at(election_day, t, zone)) for t in DAY_CHECKS[tier]]
    if tier == RiskTier.TINGGI:
        due.append((CheckinKind.ELECTION_DAY, local_at(election_day + timedelta(days=1), AFTER_MIDNIGHT, zone)))
    due += [(CheckinKind.FOLLOW_UP, local_at(election_day + timedelta(days=n), FOLLOW_UP_AT, zone)) for n in FOLLOW_UP_DAYS[tier]]
    return sorted(due, key=lambda item: item[1])
