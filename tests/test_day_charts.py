"""The TPS-steps chart (logistics/queries/day_charts.py) counts per hour in SQL: the same counts as reading
every TPS's step times and taking each one's hour on the deployment's clock (WIB here, WIT when the city is
moved to Maluku), on both databases."""
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from logistics.models import HealthIncident, Kota, PatientKind, Tps, TpsStatus, Triage
from logistics.queries.day_charts import TPS_STEPS, tps_steps_per_hour
from logistics.queries.incidents_per_hour import incidents_per_hour
from logistics.queries.zones import day_window, deployment_zone
from logistics.rules.time_zones import WIT
from logistics.services.unit_of_work import UnitOfWork
from logistics.timeutil import local_at, to_local
from tests.test_time_zones import _move_kota

DAY = date(2025, 8, 27)


def _step_some_tps(session, zone):
    """Eight TPS through the day at different local hours (one handed over just before midnight)."""
    with UnitOfWork(session) as uow:
        for i, tps in enumerate(session.scalars(select(Tps).order_by(Tps.id).limit(8))):
            opened = local_at(DAY, time(6 + i % 3, 10 * i % 60), zone)
            tps.status, tps.officers_present, tps.officers_reported_at = TpsStatus.OPEN, 7, opened - timedelta(hours=1)
            tps.opened_at = opened
            if i % 2:
                tps.status, tps.voting_closed_at = TpsStatus.VOTING_CLOSED, local_at(DAY, time(13), zone)
            if i == 7:
                tps.status, tps.counted_at = TpsStatus.COUNTED, local_at(DAY, time(22, 30), zone)
                tps.status, tps.handed_over_at = TpsStatus.HANDED_OVER, local_at(DAY, time(23, 40), zone)
        uow.commit()


def _recount(session, start, end, zone):
    """The chart's counts the slow way: every TPS's step times, each hour on the zone's clock."""
    per_hour = {name: [0] * 24 for name, _ in TPS_STEPS}
    for times in session.execute(select(*(column for _, column in TPS_STEPS))):
        for (name, _), moment in zip(TPS_STEPS, times):
            if moment is not None and start <= moment < end:
                per_hour[name][to_local(moment, zone).hour] += 1
    return {name: [sum(counts[:h + 1]) for h in range(24)] for name, counts in per_hour.items()}


@pytest.mark.parametrize("province", [None, "81"])
def test_steps_per_hour_in_sql_match_each_tps_read_on_the_deployments_clock(session, province):
    if province:
        _move_kota(session, session.scalar(select(Kota.id)), province)
    zone = deployment_zone(session)
    assert (zone is WIT) == bool(province)
    _step_some_tps(session, zone)
    start, end = day_window(session, DAY)
    chart = tps_steps_per_hour(session, local_at(DAY, time(23, 59), zone), start, end)
    expected = _recount(session, start, end, zone)
    assert chart["hours"] == list(range(24))
    for name, _ in TPS_STEPS:
        assert chart[name] == expected[name], name
    assert chart["open"][23] >= 8 and chart["handed_over"][22] < chart["handed_over"][23]


@pytest.mark.parametrize("province", [None, "81"])
def test_incidents_per_hour_in_sql_match_each_incident_read_on_the_deployments_clock(session, province):
    if province:
        _move_kota(session, session.scalar(select(Kota.id)), province)
    zone = deployment_zone(session)
    tps_id = session.scalar(select(Tps.id).order_by(Tps.id))
    with UnitOfWork(session) as uow:
        for i, triage in enumerate([Triage.MERAH, Triage.KUNING, Triage.HIJAU, Triage.HIJAU, Triage.HITAM] * 3):
            at = local_at(DAY, time((5 * i + 1) % 24, 15), zone)
            session.add(HealthIncident(occurred_at=at, reported_at=at, tps_id=tps_id, patient_kind=PatientKind.VOTER,
                                       complaint="Pusing", triage=triage))
        uow.commit()
    start, end = day_window(session, DAY)
    expected = {t.value: [0] * 24 for t in Triage}
    for at, triage in session.execute(select(HealthIncident.occurred_at, HealthIncident.triage)
                                      .where(HealthIncident.occurred_at >= start, HealthIncident.occurred_at < end)):
        expected[triage.value][to_local(at, zone).hour] += 1
    assert incidents_per_hour(session, start, end) == expected
    assert expected[Triage.MERAH.value][1] >= 1  # 01:15 on the zone's clock
