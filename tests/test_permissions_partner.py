"""Partner agencies write only through token scopes; the health office may also record care steps."""
from logistics.actor import Actor
from logistics.models import Role
from logistics.permissions import may_handle_incident, may_move_delivery, may_post_for_tps, may_report_incident


def partner(agency: str, *scopes: str) -> Actor:
    return Actor(role=Role.PARTNER, label="token", agency=agency, scopes=frozenset(scopes))


def test_partner_reports_only_with_the_write_scope():
    assert may_report_incident(partner("TNI-Polri", "write:incidents"), 1, 1)
    assert not may_report_incident(partner("TNI-Polri", "read:incidents"), 1, 1)
    assert not may_report_incident(partner("TNI-Polri"), None, None)


def test_only_the_health_office_records_care_steps():
    assert may_handle_incident(partner("Dinkes", "write:incidents"), 3, 2)
    assert not may_handle_incident(partner("Dinkes", "read:incidents"), 3, 2)
    assert not may_handle_incident(partner("KPU", "write:incidents"), 3, 2)


def test_partners_never_post_tps_status_or_deliveries():
    every_scope = partner("Dinkes", "write:incidents", "write:tps-status", "write:deliveries")
    assert not may_post_for_tps(every_scope, 1, 1)
    assert not may_move_delivery(every_scope, 1, 1, None)
