"""The dashboard's H-1 login readiness counted per kecamatan and role (logistics/queries/login_readiness.py
`readiness_summary`): for some kecamatan it finds the people by the kecamatan they are found by
(logistics/permissions/read_scope.py `people_of_kecamatan`), for everyone by each one's kecamatan worked
out (`person_kecamatan`); both must count what the records say, whichever way a person belongs to a
kecamatan (their TPS, else their kelurahan, else their own kecamatan)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from logistics.models import Kecamatan, Kelurahan, Person, User
from logistics.queries.login_readiness import ROLE_OF_PERSON, readiness_summary
from logistics.services.field_accounts import PERSON_ROLE
from logistics.services.unit_of_work import UnitOfWork


def counted_in_python(session, kecamatan_ids) -> dict[int, dict]:
    """{kecamatan: {role: (people, with an active account, logged in)}} from the records, one by one."""
    accounts = {u.person_id: u for u in session.scalars(select(User).where(User.person_id.is_not(None)))
                if u.role in {r.value for r in PERSON_ROLE}}
    found: dict[int, dict] = {}
    for person in session.scalars(select(Person).where(Person.active.is_(True))):
        if person.role.value not in {p.value for p in PERSON_ROLE.values()}:
            continue
        kecamatan = (person.tps.kelurahan.kecamatan_id if person.tps is not None
                     else person.kelurahan.kecamatan_id if person.kelurahan is not None else person.kecamatan_id)
        if kecamatan not in kecamatan_ids:
            continue
        user = accounts.get(person.id)
        ready = user is not None and user.active
        people, with_account, logged_in = found.setdefault(kecamatan, {}).get(ROLE_OF_PERSON[person.role], (0, 0, 0))
        found[kecamatan][ROLE_OF_PERSON[person.role]] = (
            people + 1, with_account + ready, logged_in + (ready and user.last_login_at is not None))
    return found


def test_readiness_counts_each_person_in_the_kecamatan_they_belong_to(session):
    ids = list(session.scalars(select(Kecamatan.id).order_by(Kecamatan.id)))
    first, second = ids[0], ids[1]
    # Someone of each way: a ketua at a TPS (logged in, and one whose account is off), a courier by a
    # kelurahan of the second kecamatan, a medic by the first kecamatan only; one inactive person left out.
    with UnitOfWork(session) as uow:  # set-up writes as every writer does (the tests' session is strict)
        ketua = session.scalars(select(Person).where(Person.role == "kpps_ketua", Person.tps_id.is_not(None))).first()
        couriers = session.scalars(select(Person).where(Person.role == "courier")).all()
        medics = session.scalars(select(Person).where(Person.role == "medic")).all()
        assert ketua is not None and len(couriers) >= 2 and medics
        couriers[0].tps_id, couriers[0].kelurahan_id = None, session.scalar(
            select(Kelurahan.id).where(Kelurahan.kecamatan_id == second).limit(1))
        couriers[0].kecamatan_id = first  # the kelurahan comes before the person's own kecamatan
        couriers[1].active = False
        medics[0].tps_id = medics[0].kelurahan_id = None
        medics[0].kecamatan_id = first
        users = session.scalars(select(User).where(User.role.in_([r.value for r in PERSON_ROLE]),
                                                   User.person_id.is_not(None))).all()
        assert len(users) >= 2
        users[0].last_login_at = datetime(2025, 8, 26, 9, tzinfo=timezone.utc)
        users[1].active = False
        uow.commit()

    expected = counted_in_python(session, set(ids))
    assert expected[second]["courier"][0] >= 1 and expected[first]["medic"][0] >= 1
    assert any(logged_in for roles in expected.values() for _, _, logged_in in roles.values())
    for scope in (ids, [first, second], None):
        summary = readiness_summary(session, scope)
        assert {row["kecamatan_id"]: row["roles"] for row in summary} == {
            k: roles for k, roles in expected.items() if scope is None or k in scope}, scope
        assert [row["kecamatan_id"] for row in summary] == [k for k in ids if k in expected and (scope is None or k in scope)]
