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

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from logistics.errors import ValidationFailed
from logistics.models import Kecamatan, MedicStation, Role, Tps, User
from logistics.permissions import Permission, Target, may
from logistics.permissions.read_scope import account_kecamatan, load_visible, visible
from logistics.queries.login_readiness import HEADER, readiness_rows
from logistics.services import accounts, field_accounts
from logistics.services.field_accounts import PROVISIONED_ROLES
from admin.cards import cards_pdf
from maps.spreadsheet import csv_chunks
from siaga.auth import chosen_kecamatan_ids, current_actor, kecamatan_scope, login_required
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormFlag, FormId, FormList, FormText
from siaga.forms import FormSchema, with_form, with_query
from siaga.i18n import _, lazy_gettext

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
    pdf = cards_pdf(cards, lambda username: url_for("auth.login", u=username, _external=True))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


def _manageable_kecamatan(actor) -> list[tuple[int, str]]:
    """The kecamatan whose field staff `actor` may provision (for the forms)."""
    rows = db.session.execute(select(Kecamatan.id, Kecamatan.nama).order_by(Kecamatan.kode_kemendagri)).all()
    return [(k, n) for k, n in rows
            if may(actor, Permission.ACCOUNT_PROVISION, Target(kecamatan_id=k, account_role=Role.FIELD_OFFICER))]


@bp.get("")
@login_required(Role.COORDINATOR)
@with_query(UsersQuery)
def index(query: dict):
    actor = current_actor()
    where = [visible(db.session, actor, User)]
    if query.get("role"):
        where.append(User.role == query["role"])
    if query.get("kecamatan"):
        chosen_kecamatan_ids(query["kecamatan"])  # another kecamatan than one's own: 403, not an empty list
        where.append(account_kecamatan() == query["kecamatan"])
    if query.get("aktif"):
        where.append(User.active.is_(query["aktif"] == "ya"))
    if query.get("masuk"):
        where.append(User.last_login_at.is_not(None) if query["masuk"] == "sudah" else User.last_login_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(User).where(*where))
    users = db.session.execute(select(User, account_kecamatan().label("k")).where(*where)
                               .order_by(User.role, User.username).limit(LIST_LIMIT)).all()
    names = dict(db.session.execute(select(Kecamatan.id, Kecamatan.nama)).all())
    rows = []
    for user, kecamatan_id in users:
        target = Target(kecamatan_id=kecamatan_id, account_role=user.role)
        rows.append(dict(user=user, kecamatan=names.get(kecamatan_id, _("Kota")),
                         may_reset=may(actor, Permission.ACCOUNT_RESET, target),
                         may_revoke=may(actor, Permission.ACCOUNT_REVOKE, target),
                         may_edit=may(actor, Permission.ACCOUNT_ADMIN, target)))
    scope = kecamatan_scope()
    kecamatan_choices = [(k, n) for k, n in sorted(names.items(), key=lambda kv: kv[1]) if scope is None or k in scope]
    return render_template("admin/users.html", rows=rows, total=total, query=query, roles=list(Role),
                           kecamatan_choices=kecamatan_choices, provisionable=_manageable_kecamatan(actor),
                           provisioned_roles=PROVISIONED_ROLES, may_admin=may(actor, Permission.ACCOUNT_ADMIN))


@bp.post("/provisi")
@login_required(Role.COORDINATOR)
@with_form(CardsForm)
def provision(form: dict):
    _made, cards = field_accounts.provision(db.session, current_actor(), form["kecamatan"], form["roles"])
    if not cards:
        flash(_("Tidak ada akun baru: semua petugas sudah punya akun. Gunakan cetak ulang."))
        return redirect(url_for("users.index", kecamatan=form["kecamatan"]), 303)
    return _pdf(cards, f"kartu-masuk-{form['kecamatan']}")


@bp.post("/cetak-ulang")
@login_required(Role.COORDINATOR)
@with_form(CardsForm)
def reprint(form: dict):
    cards = field_accounts.reprint(db.session, current_actor(), form["kecamatan"], form["roles"])
    if not cards:
        flash(_("Tidak ada kartu untuk dicetak ulang: semua sudah masuk."))
        return redirect(url_for("users.index", kecamatan=form["kecamatan"]), 303)
    return _pdf(cards, f"kartu-masuk-ulang-{form['kecamatan']}")


@bp.post(f"/<{ID_PATH}:user_id>/reset")
@login_required(Role.COORDINATOR)
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
@login_required(Role.COORDINATOR)
@with_form(NoFields)
def revoke(user_id: int, form: dict):
    return _switch(user_id, accounts.deactivate_user,
                   lazy_gettext("Akun {username} dicabut: sesinya dan tokennya berhenti."))


@bp.post(f"/<{ID_PATH}:user_id>/aktifkan")
@login_required(Role.COORDINATOR)
@with_form(NoFields)
def reactivate(user_id: int, form: dict):
    return _switch(user_id, accounts.reactivate_user, lazy_gettext("Akun {username} aktif lagi."))


def _scope_values(form: dict) -> dict:
    return {name: form.get(name) for name in accounts.SCOPE_FIELDS}


def _form_choices() -> dict:
    return dict(roles=list(Role), kecamatan_choices=db.session.execute(
        select(Kecamatan.id, Kecamatan.nama).order_by(Kecamatan.kode_kemendagri)).all(),
        station_choices=db.session.execute(select(MedicStation.id, MedicStation.name).order_by(MedicStation.code)).all())


@bp.route("/baru", methods=["GET", "POST"])
@login_required(Role.ADMIN)
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
@login_required(Role.ADMIN)
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
@login_required(Role.COORDINATOR)
@with_query(ReadinessQuery)
def readiness_csv(query: dict):
    """H-1: who of the field staff has no account or has not logged in yet, with their phone, per kecamatan."""
    rows = readiness_rows(db.session, chosen_kecamatan_ids(), only_missing=not query.get("semua"))
    # A few thousand rows for a whole city: built at once, so the query ends with the request.
    return Response("".join(csv_chunks(HEADER, rows)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="siaga-kesiapan-akun.csv"',
                             "Content-Type": "text/csv; charset=utf-8"})
