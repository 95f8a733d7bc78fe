"""H-1 readiness of the field logins: per kecamatan, which ketua KPPS, courier and medic has an account
and has logged in at least once (so the PPK can phone those who have not, the day before).

One row per person who should have a login (`logistics.services.field_accounts.PERSON_ROLE`), joined to
their account if any; the summary is the same join counted per kecamatan and role in SQL.
"""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from logistics.models import Kecamatan, MedicStation, Person, Tps, User
from logistics.permissions.read_scope import people_of_kecamatan, person_in_kecamatan, person_kecamatan
from logistics.services.field_accounts import PERSON_ROLE
from logistics.queries.zones import deployment_zone
from logistics.rules.time_zones import AreaZone, zone_of
from logistics.timeutil import format_local

NO_ACCOUNT, INACTIVE, NOT_LOGGED_IN, READY = "belum_ada_akun", "nonaktif", "belum_masuk", "sudah_masuk"
STATUS_LABELS = {NO_ACCOUNT: "Belum ada akun", INACTIVE: "Akun nonaktif", NOT_LOGGED_IN: "Belum pernah masuk",
                 READY: "Sudah masuk"}
ROLE_OF_PERSON = {person_role: role for role, person_role in PERSON_ROLE.items()}
HEADER = ["kecamatan", "peran", "tps", "pos_kesehatan", "nama", "telepon", "nama_pengguna", "status",
          "kartu_dicetak", "terakhir_masuk"]


def _joined(kecamatan_ids):
    kec = person_kecamatan().label("person_kecamatan_id")
    query = (select(Person, User, kec)
             .outerjoin(User, and_(User.person_id == Person.id, User.role.in_([r.value for r in PERSON_ROLE])))
             .where(Person.role.in_([p.value for p in PERSON_ROLE.values()]), Person.active.is_(True)))
    if kecamatan_ids is not None:
        query = query.where(person_in_kecamatan(kecamatan_ids))
    return query, kec


def status_of(user: User | None) -> str:
    if user is None:
        return NO_ACCOUNT
    if not user.active:
        return INACTIVE
    return READY if user.last_login_at is not None else NOT_LOGGED_IN


def readiness_summary(session: Session, kecamatan_ids) -> list[dict]:
    """Per kecamatan: {role: (people, with an active account, logged in)} for TPS officers, couriers, medics."""
    active_user = and_(User.id.is_not(None), User.active.is_(True))
    should_log_in = (Person.role.in_([p.value for p in PERSON_ROLE.values()]), Person.active.is_(True))
    if kecamatan_ids is None:  # everyone: each one's kecamatan worked out
        people, where = Person, should_log_in
        kec, role, person_id = person_kecamatan(), Person.role, Person.id
    else:  # found by kecamatan, each with the one it was found by (the same), KPPS members left out as found
        people, where = people_of_kecamatan(kecamatan_ids, columns=(Person.role,), where=should_log_in), ()
        kec, role, person_id = people.c.kecamatan_id, people.c.role, people.c.person_id
    rows = session.execute(
        select(kec.label("k"), role, func.count(person_id), func.count(User.id).filter(active_user),
               func.count(User.id).filter(active_user, User.last_login_at.is_not(None))).select_from(people)
        .outerjoin(User, and_(User.person_id == person_id, User.role.in_([r.value for r in PERSON_ROLE])))
        .where(*where).group_by(kec, role)).all()
    kec_rows = select(Kecamatan.id, Kecamatan.nama, Kecamatan.kota_id).order_by(Kecamatan.kode_kemendagri)
    if kecamatan_ids is not None:
        kec_rows = kec_rows.where(Kecamatan.id.in_(list(kecamatan_ids)))
    kecamatan = session.execute(kec_rows).all()
    names = {k_id: nama for k_id, nama, _ in kecamatan}
    kota_of = {k_id: kota_id for k_id, _, kota_id in kecamatan}
    order = [k_id for k_id, _, _ in kecamatan]
    by_kec: dict[int, dict] = {}
    for kecamatan_id, person_role, people, accounts, logged_in in rows:
        if kecamatan_id is None:
            continue
        entry = by_kec.setdefault(kecamatan_id, {"kecamatan_id": kecamatan_id, "nama": names.get(kecamatan_id, "?"),
                                                 "kota_id": kota_of.get(kecamatan_id), "roles": {}})
        entry["roles"][ROLE_OF_PERSON[person_role]] = (people, accounts, logged_in)
    return [by_kec[k] for k in order if k in by_kec]


def readiness_rows(session: Session, kecamatan_ids, only_missing: bool = True):
    """The CSV's rows: everyone (by default: everyone not yet logged in) who should have a field login."""
    query, kec = _joined(kecamatan_ids)
    kecamatan = {k_id: (nama, zone_of(code)) for k_id, nama, code in
                 session.execute(select(Kecamatan.id, Kecamatan.nama, Kecamatan.kode_kemendagri))}
    fallback = deployment_zone(session)
    tps_codes = dict(session.execute(select(Tps.id, Tps.code)).all())
    stations = dict(session.execute(select(MedicStation.id, MedicStation.name)).all())
    for person, user, kecamatan_id in session.execute(query.order_by(kec, Person.role, Person.code)):
        status = status_of(user)
        if only_missing and status == READY:
            continue
        # Times on the person's own area's clock, the zone named (a deployment may span WIB to WIT).
        name, zone = kecamatan.get(kecamatan_id, ("", fallback))
        yield [name, ROLE_OF_PERSON[person.role].label_id,
               tps_codes.get(person.tps_id, ""), stations.get(person.medic_station_id, ""), person.name,
               person.phone or "", user.username if user else "", STATUS_LABELS[status],
               _local(user.pin_issued_at if user else None, zone), _local(user.last_login_at if user else None, zone)]


def _local(moment, zone: AreaZone) -> str:
    return "" if moment is None else format_local(moment, "%Y-%m-%d %H:%M", zone)
