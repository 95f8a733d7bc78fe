"""/admin/pengguna: accounts. Field staff logins made in bulk from the imported people, with printable
login cards (one-time PINs, shown only in the PDF the request returns); reset a PIN, revoke or reactivate
an account; an admin also creates any account and changes roles and scopes. The H-1 readiness CSV
(/admin/pengguna/kesiapan.csv) lists who has not logged in yet.

Who may do what is `logistics.permissions` (ACCOUNT_PROVISION, ACCOUNT_RESET, ACCOUNT_REVOKE,
ACCOUNT_ADMIN); which accounts a list shows is `read_scope.visible(..., User)`. The posts that make PINs
are deliberately not `@idempotent`: a stored replay would keep the PDF, PINs included. Running them
again is harmless (provisioning makes no second account; a re-print makes new PINs for the same cards).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from logistics.errors import ValidationFailed
from logistics.models import BackgroundJob, MedicStation, Role, Tps, User
from logistics.permissions import Permission, Target, holds, may
from logistics.permissions.read_scope import load_visible
from logistics.queries.accounts import accounts_page, kecamatan_names, station_names
from logistics.queries.login_readiness import HEADER, readiness_rows
from logistics.queries.scope_areas import kota_in_scope, province_name
from logistics.rules.time_zones import PROVINCE_ZONE
from logistics.area_list import area_list
from logistics.services import accounts, field_accounts
from logistics.services.field_accounts import PROVISIONED_ROLES
from admin import card_jobs
from maps.spreadsheet import csv_chunks
from siaga.auth import chosen_kecamatan_ids, current_actor, kecamatan_scope, requires
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormFlag, FormId, FormList, FormText
from siaga.forms import FormSchema, with_form, with_query
from siaga.i18n import _, lazy_gettext
from siaga.worker.heartbeat import worker_alive

bp = Blueprint("users", __name__, url_prefix="/admin/pengguna", template_folder="templates")
LIST_LIMIT = 500



class UsersQuery(FormSchema):
    role = FormChoice(Role)
    kecamatan = FormId()
    aktif = FormChoice(("ya", "tidak"))
    masuk = FormChoice(("sudah", "belum"))


class CardsForm(FormSchema):
    kecamatan = FormId(required=True)
    roles = FormList(FormChoice([r.value for r in PROVISIONED_ROLES]), required=True)


class NoFields(FormSchema):
    """A button: nothing but the CSRF token."""


class AccountForm(FormSchema):
    username = FormText(User.username)  # new accounts only
    full_name = FormText(User.full_name, required=True)
    role = FormChoice(Role, required=True)
    provinsi_kode = FormChoice(sorted(PROVINCE_ZONE))  # an admin's or coordinator's area: one of these three
    kota_id = FormId()
    kecamatan_id = FormId()
    tps_id = FormId()
    medic_station_id = FormId()
    person_id = FormId()
    agency = FormText(User.agency)


class ReadinessQuery(FormSchema):
    kecamatan = FormId()  # narrows the user's scope (siaga.auth.chosen_kecamatan_ids)
    semua = FormFlag()  # everyone, not only those not ready


def _pdf(cards, name: str) -> Response:
    """The login cards, straight to the browser (never stored: the PINs exist only here)."""
    return _pdf_bytes(card_jobs.render(cards), name)


def _pdf_bytes(pdf: bytes, name: str) -> Response:
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


def _manageable_kecamatan(actor) -> list[tuple[int, str]]:
    """The kecamatan whose field staff `actor` may provision (for the forms)."""
    return [(k, n) for k, n in kecamatan_names(db.session)
            if may(actor, Permission.ACCOUNT_PROVISION, Target(kecamatan_id=k, account_role=Role.FIELD_OFFICER))]


@bp.get("")
@requires(Permission.ACCOUNTS_VIEW)
@with_query(UsersQuery)
def index(query: dict):
    actor = current_actor()
    if query.get("kecamatan"):
        chosen_kecamatan_ids(query["kecamatan"])  # another kecamatan than one's own: 403, not an empty list
    total, users = accounts_page(
        db.session, actor, role=query.get("role"), kecamatan_id=query.get("kecamatan"),
        active=query["aktif"] == "ya" if query.get("aktif") else None,
        logged_in=query["masuk"] == "sudah" if query.get("masuk") else None, limit=LIST_LIMIT)
    names = dict(kecamatan_names(db.session))
    rows = []
    for user, kecamatan_id in users:
        target = Target(kecamatan_id=kecamatan_id, account_role=user.role, account_area_code=(
            None if kecamatan_id is not None else
            accounts.area_code(db.session, None, user.kota_id, user.provinsi_kode)))
        rows.append(dict(user=user, kecamatan=_area_label(user, names.get(kecamatan_id)),
                         may_reset=may(actor, Permission.ACCOUNT_RESET, target),
                         may_revoke=may(actor, Permission.ACCOUNT_REVOKE, target),
                         may_edit=may(actor, Permission.ACCOUNT_ADMIN, target)))
    scope = kecamatan_scope()
    kecamatan_choices = [(k, n) for k, n in sorted(names.items(), key=lambda kv: kv[1]) if scope is None or k in scope]
    return render_template("admin/users.html", rows=rows, total=total, query=query, roles=list(Role),
                           kecamatan_choices=kecamatan_choices, provisionable=_manageable_kecamatan(actor),
                           provisioned_roles=PROVISIONED_ROLES, may_admin=holds(actor, Permission.ACCOUNT_ADMIN),
                           card_job=_running_card_job(actor))


def _area_label(user: User, kecamatan: str | None) -> str:
    """An account's area as the list shows it: its kecamatan, its kab/kota, its province, or the nation."""
    if kecamatan is not None:
        return kecamatan
    if user.kota_id is not None:
        return user.kota.nama
    if user.provinsi_kode is not None:
        return province_name(user.provinsi_kode)
    return _("Nasional") if user.role in (Role.ADMIN, Role.COORDINATOR) else "—"


def _running_card_job(actor) -> BackgroundJob | None:
    """The caller's card job still queued or running: the card buttons wait for it (one at a time)."""
    return db.session.scalar(select(BackgroundJob).where(BackgroundJob.requested_by == actor.user_id,
                                                          BackgroundJob.kind.in_(card_jobs.KINDS),
                                                          BackgroundJob.status.in_(card_jobs.ACTIVE)).limit(1))


def _as_job(kind: str, form: dict):
    """With a live worker, the cards are a background job (admin/card_jobs.py): its progress page."""
    if not worker_alive(db.session):
        return None
    job = card_jobs.enqueue(db.session, current_actor(), kind, form["kecamatan"], form["roles"], request.url_root)
    return redirect(url_for("users.job_page", job_id=job.id), 303)


@bp.post("/provisi")
@requires(Permission.ACCOUNT_PROVISION)
@with_form(CardsForm)
def provision(form: dict):
    queued = _as_job("cards.provision", form)
    if queued is not None:
        return queued
    _made, cards = field_accounts.provision(db.session, current_actor(), form["kecamatan"], form["roles"])
    if not cards:
        flash(_("Tidak ada akun baru: semua petugas sudah punya akun. Gunakan cetak ulang."))
        return redirect(url_for("users.index", kecamatan=form["kecamatan"]), 303)
    return _pdf(cards, f"kartu-masuk-{form['kecamatan']}")


@bp.post("/cetak-ulang")
@requires(Permission.ACCOUNT_PROVISION)
@with_form(CardsForm)
def reprint(form: dict):
    queued = _as_job("cards.reprint", form)
    if queued is not None:
        return queued
    cards = field_accounts.reprint(db.session, current_actor(), form["kecamatan"], form["roles"])
    if not cards:
        flash(_("Tidak ada kartu untuk dicetak ulang: semua sudah masuk."))
        return redirect(url_for("users.index", kecamatan=form["kecamatan"]), 303)
    return _pdf(cards, f"kartu-masuk-ulang-{form['kecamatan']}")


def _own_job(job_id: int) -> BackgroundJob:
    """A card job, to the one who asked for it only (its PDF holds PINs)."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None or job.kind not in card_jobs.KINDS or job.requested_by != current_actor().user_id:
        abort(404)
    return job


def _job_state(job: BackgroundJob) -> dict:
    return {"status": job.status, "done": job.done, "total": job.total, "message": job.message,
            "download": url_for("users.job_download", job_id=job.id) if job.result is not None else None}


@bp.get(f"/tugas/<{ID_PATH}:job_id>")
@requires(Permission.ACCOUNT_PROVISION)
def job_page(job_id: int):
    job = _own_job(job_id)
    return render_template("admin/job.html", job=job, state=_job_state(job))


@bp.get(f"/tugas/<{ID_PATH}:job_id>.json")
@requires(Permission.ACCOUNT_PROVISION)
def job_status(job_id: int):
    response = jsonify(_job_state(_own_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(f"/tugas/<{ID_PATH}:job_id>/unduh")
@requires(Permission.ACCOUNT_PROVISION)
def job_download(job_id: int):
    job = _own_job(job_id)
    pdf = card_jobs.take_result(db.session, job)
    if pdf is None:
        flash(_("Kartu ini sudah diunduh atau sudah dihapus. Cetak ulang bila perlu."))
        return redirect(url_for("users.index", kecamatan=job.kecamatan_id), 303)
    return _pdf_bytes(pdf, job.result_name.removesuffix(".pdf"))


@bp.post(f"/<{ID_PATH}:user_id>/reset")
@requires(Permission.ACCOUNT_RESET)
@with_form(NoFields)
def reset(user_id: int, form: dict):
    card = field_accounts.reset_pin(db.session, current_actor(), user_id)
    return _pdf([card], f"kartu-masuk-{card.username}")


def _switch(user_id: int, service, message: str):
    """Revoke or reactivate an account (the service checks ACCOUNT_REVOKE), then back to the list."""
    user = service(db.session, current_actor(), user_id)
    flash(_(message, username=user.username))
    return redirect(url_for("users.index"), 303)


@bp.post(f"/<{ID_PATH}:user_id>/cabut")
@requires(Permission.ACCOUNT_REVOKE)
@with_form(NoFields)
def revoke(user_id: int, form: dict):
    return _switch(user_id, accounts.deactivate_user,
                   lazy_gettext("Akun {username} dicabut: sesinya dan tokennya berhenti."))


@bp.post(f"/<{ID_PATH}:user_id>/aktifkan")
@requires(Permission.ACCOUNT_REVOKE)
@with_form(NoFields)
def reactivate(user_id: int, form: dict):
    return _switch(user_id, accounts.reactivate_user, lazy_gettext("Akun {username} aktif lagi."))


def _scope_values(form: dict) -> dict:
    return {name: form.get(name) for name in accounts.SCOPE_FIELDS}


def _form_choices() -> dict:
    """The scopes an admin may give: within their own area (a national admin: every province stored in
    the national list, every kab/kota and kecamatan stored)."""
    actor = current_actor()
    scope = kecamatan_scope()
    if actor.nation_wide:
        provinces = [(p.kode, p.nama) for p in area_list().provinces()]
    elif actor.provinsi_kode is not None:
        provinces = [(actor.provinsi_kode, province_name(actor.provinsi_kode))]
    else:
        provinces = []
    kota = [] if actor.kecamatan_id is not None else [(k.id, k.nama) for k in kota_in_scope(db.session, scope)]
    stations = station_names(db.session)
    if scope is not None:
        inside = set(db.session.scalars(select(MedicStation.id).where(MedicStation.kecamatan_id.in_(scope))))
        stations = [(i, n) for i, n in stations if i in inside]
    return dict(roles=list(Role), province_choices=provinces, kota_choices=kota,
                kecamatan_choices=[(k, n) for k, n in kecamatan_names(db.session) if scope is None or k in scope],
                station_choices=stations, nation_wide=actor.nation_wide)


@bp.route("/baru", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_ADMIN)
@with_form(AccountForm)
def create(form: dict | None):
    if form is not None:
        if not form.get("username"):
            raise ValidationFailed(_("Periksa isian."), {"username": _("Wajib diisi.")})
        card = field_accounts.create_account(db.session, current_actor(), username=form["username"],
                                             full_name=form["full_name"], role=form["role"], **_scope_values(form))
        return _pdf([card], f"kartu-masuk-{card.username}")
    return render_template("admin/user_form.html", user=None, **_form_choices())


@bp.route(f"/<{ID_PATH}:user_id>", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_ADMIN)
@with_form(AccountForm)
def edit(user_id: int, form: dict | None):
    user = load_visible(db.session, current_actor(), User, user_id, "Pengguna")
    if form is not None:
        accounts.update_account(db.session, current_actor(), user.id, full_name=form["full_name"], role=form["role"],
                                **_scope_values(form))
        flash(_("Akun disimpan."))
        return redirect(url_for("users.index"), 303)
    tps_code = db.session.scalar(select(Tps.code).where(Tps.id == user.tps_id)) if user.tps_id else None
    return render_template("admin/user_form.html", user=user, tps_code=tps_code, **_form_choices())


@bp.get("/kesiapan.csv")
@requires(Permission.ACCOUNTS_VIEW)
@with_query(ReadinessQuery)
def readiness_csv(query: dict):
    """H-1: who of the field staff has no account or has not logged in yet, with their phone, per kecamatan."""
    rows = readiness_rows(db.session, chosen_kecamatan_ids(), only_missing=not query.get("semua"))
    # A few thousand rows for a whole city: built at once, so the query ends with the request.
    return Response("".join(csv_chunks(HEADER, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="siaga-kesiapan-akun.csv"',
                             "Content-Type": "text/csv; charset=utf-8"})
