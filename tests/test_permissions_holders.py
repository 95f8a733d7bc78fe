"""The page gate and the record rule agree: a role that may not open a permission's pages (`HOLDERS`)
is never allowed it on any record either, so declaring the permission on a page hides nothing the
service would have allowed."""
from __future__ import annotations

import pytest

from logistics.actor import Actor
from logistics.models import Role
from logistics.permissions import FIELD_ROLES, HOLDERS, Permission, Target, holds, may

SCOPE = dict(kecamatan_id=1, tps_id=2, person_id=3, medic_station_id=4, user_id=5)
TARGETS = [Target(), Target(kecamatan_id=1, tps_id=2, courier_id=3, medic_station_id=4),
           *(Target(kecamatan_id=1, account_role=role) for role in Role)]


def actors(role: Role) -> list[Actor]:
    """The role with its scope values set (on the targets' own ids), and city-wide."""
    return [Actor(role=role, label="uji", **SCOPE), Actor(role=role, label="uji")]


@pytest.mark.parametrize("permission", list(Permission), ids=lambda p: p.name)
def test_no_record_is_allowed_to_a_role_the_page_refuses(permission):
    for role in set(Role) - {Role.ADMIN, Role.PARTNER} - HOLDERS[permission]:
        for actor in actors(role):
            assert not holds(actor, permission)
            assert not any(may(actor, permission, target) for target in TARGETS), (permission, role)


def test_admins_hold_every_page_and_partners_none():
    for permission in Permission:
        assert holds(Actor(role=Role.ADMIN, label="uji"), permission)
        assert not holds(Actor(role=Role.PARTNER, label="uji"), permission)
    assert FIELD_ROLES <= HOLDERS[Permission.OFFLINE_PAGES]
