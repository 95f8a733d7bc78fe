"""Partner agencies write only through token scopes; the health office may also record care steps."""
from logistics.actor import Actor
from logistics.models import Role
from logistics.permissions import Permission, Target, may


def partner(agency: str, *scopes: str) -> Actor:
    return Actor(role=Role.PARTNER, label="token", agency=agency, scopes=frozenset(scopes))


def test_partner_reports_only_with_the_write_scope():
    at_tps = Target(kecamatan_id=1, tps_id=1)
    assert may(partner("TNI-Polri", "write:incidents"), Permission.INCIDENT_REPORT, at_tps)
    assert not may(partner("TNI-Polri", "read:incidents"), Permission.INCIDENT_REPORT, at_tps)
    assert not may(partner("TNI-Polri"), Permission.INCIDENT_REPORT, Target())


def test_only_the_health_office_records_care_steps():
    station = Target(kecamatan_id=2, medic_station_id=3)
    assert may(partner("Dinkes", "write:incidents"), Permission.INCIDENT_CARE, station)
    assert not may(partner("Dinkes", "read:incidents"), Permission.INCIDENT_CARE, station)
    assert not may(partner("KPU", "write:incidents"), Permission.INCIDENT_CARE, station)


def test_partners_never_post_tps_status_or_deliveries():
    every_scope = partner("Dinkes", "write:incidents", "write:tps-status", "write:deliveries")
    tps = Target(kecamatan_id=1, tps_id=1)
    assert not may(every_scope, Permission.TPS_POST_STATUS, tps)
    assert not may(every_scope, Permission.DELIVERY_MOVE, tps)
    assert not may(every_scope, Permission.DELIVERY_RECEIVE, tps)
