"""Coordinators' planning pages: the meal plan with couriers' ETAs, medic rosters, the logistics checklist."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from logistics.errors import DomainError
from logistics.models import Delivery, DeliveryKind, Kecamatan, MealRound
from logistics.permissions import Permission
from logistics.rules.lifecycles.delivery import is_at_risk
from logistics.permissions.read_scope import can_see
from logistics.queries.operations import couriers, logistics_checklist, meal_plan, roster_board
from logistics.services.meal_plans import plan_meals, update_meal_delivery
from logistics.services.rosters import add_shift, remove_shift
from logistics.timeutil import local_at, to_local
from siaga.auth import chosen_kecamatan_ids, current_actor, kecamatan_scope, requires
from siaga.election import election_day
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormClock, FormDay, FormId, FormInt, FormLocalMoment
from siaga.forms import FormSchema, with_form, with_query
from siaga.i18n import _
from siaga.idempotency import idempotent

bp = Blueprint("planning", __name__, url_prefix="/rencana", template_folder="templates")



class PlanningQuery(FormSchema):
    """The planning pages' filters: day, kecamatan (narrows the user's scope), meal round."""
    tanggal = FormDay()
    kecamatan = FormId()
    putaran = FormChoice(MealRound)


class MealEditForm(FormSchema):
    waktu = FormClock(required=True)  # the TPS's zone, on the delivery's own day
    porsi = FormInt()  # the service checks the plausible range
    kurir = FormId()


class ShiftForm(FormSchema):
    """<input type="datetime-local"> sends wall-clock time in the deployment's zone."""
    pos = FormId(required=True)
    medis = FormId(required=True)
    mulai = FormLocalMoment(required=True)
    selesai = FormLocalMoment(required=True)


def _day(query: dict) -> date:
    return query.get("tanggal") or election_day()


def _kecamatan_filter() -> tuple[list[int] | None, list[Kecamatan]]:
    """The kecamatan ids shown (the user's scope, narrowed by ?kecamatan=) and the ones they may choose."""
    scope = kecamatan_scope()
    options = db.session.scalars(select(Kecamatan).order_by(Kecamatan.kode_kemendagri)).all()
    return chosen_kecamatan_ids(), [k for k in options if scope is None or k.id in scope]


def _flash_error(exc: DomainError) -> None:
    flash(str(exc.message) + (" " + "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) if exc.fields else ""))


@bp.get("/konsumsi")
@requires(Permission.FIGURES_VIEW)
@with_query(PlanningQuery)
def meals(query: dict):
    ids, options = _kecamatan_filter()
    meal_round = query.get("putaran", MealRound.SIANG)
    day = _day(query)
    rows = meal_plan(db.session, day, meal_round, ids)
    at_risk_ids = {d.id for d in rows if is_at_risk(d.status, d.planned_at, d.eta_at)}
    return render_template("planning/meals.html", rows=rows, day=day, meal_round=meal_round, rounds=list(MealRound),
                           at_risk_ids=at_risk_ids,
                           kecamatan_options=options, chosen=query.get("kecamatan"))


@bp.post("/konsumsi/susun")
@requires(Permission.MEAL_PLAN)
@idempotent
@with_query(PlanningQuery)
def make_meal_plan(query: dict):
    ids, _options = _kecamatan_filter()
    day = _day(query)
    try:
        result = plan_meals(db.session, current_actor(), day, kecamatan_ids=ids)
        flash(_("Rencana konsumsi disusun: {created} baru, {updated} diperbarui.", created=result.created,
                updated=result.updated))
    except DomainError as exc:
        _flash_error(exc)
    return redirect(url_for(".meals", tanggal=day.isoformat(), kecamatan=query.get("kecamatan")), 303)


@bp.route(f"/konsumsi/<{ID_PATH}:delivery_id>", methods=["GET", "POST"])
@requires(Permission.MEAL_PLAN)
@idempotent
@with_form(MealEditForm, inline_errors=True)
def edit_meal(delivery_id: int, form: dict | None, form_errors: dict):
    delivery = db.get_or_404(Delivery, delivery_id)
    if delivery.kind != DeliveryKind.MEAL:
        abort(404)  # the meal plan's page: logistics items are not planned here
    if not can_see(db.session, current_actor(), delivery):
        return render_template("error.html", status=403, message=_("Anda tidak berwenang membuka halaman ini."),
                               fields={}), 403
    errors = form_errors
    if form is not None:
        try:
            update_meal_delivery(db.session, current_actor(), delivery.id,
                                 planned_at=local_at(to_local(delivery.planned_at, delivery.tps.zone).date(), form["waktu"], delivery.tps.zone),
                                 quantity=form.get("porsi"), courier_id=form.get("kurir"))
            flash(_("Perubahan disimpan."))
            return redirect(url_for(".meals", putaran=delivery.meal_round.value,
                                    tanggal=to_local(delivery.planned_at, delivery.tps.zone).date().isoformat()), 303)
        except DomainError as exc:
            errors = exc.fields or {"-": exc.message}
    return render_template("planning/meal_edit.html", delivery=delivery, errors=errors,
                           couriers=couriers(db.session, [delivery.tps.kelurahan.kecamatan_id])), (422 if errors else 200)


@bp.get("/jaga")
@requires(Permission.FIGURES_VIEW)
@with_query(PlanningQuery)
def rosters(query: dict):
    ids, options = _kecamatan_filter()
    day = _day(query)
    return render_template("planning/rosters.html", board=roster_board(db.session, day, ids), day=day,
                           kecamatan_options=options, chosen=query.get("kecamatan"))


@bp.post("/jaga")
@requires(Permission.ROSTER_EDIT)
@idempotent
@with_query(PlanningQuery)
@with_form(ShiftForm)
def add_roster_shift(query: dict, form: dict):
    day = _day(query)
    try:
        add_shift(db.session, current_actor(), form["pos"], form["medis"], form["mulai"], form["selesai"])
        flash(_("Giliran jaga ditambahkan."))
    except DomainError as exc:
        _flash_error(exc)
    return redirect(url_for(".rosters", tanggal=day.isoformat()), 303)


@bp.post(f"/jaga/<{ID_PATH}:shift_id>/hapus")
@requires(Permission.ROSTER_EDIT)
@idempotent
@with_query(PlanningQuery)
def delete_roster_shift(shift_id: int, query: dict):
    try:
        remove_shift(db.session, current_actor(), shift_id)
        flash(_("Giliran jaga dihapus."))
    except DomainError as exc:
        _flash_error(exc)
    return redirect(url_for(".rosters", tanggal=_day(query).isoformat()), 303)


@bp.get("/logistik")
@requires(Permission.FIGURES_VIEW)
@with_query(PlanningQuery)
def logistics(query: dict):
    ids, options = _kecamatan_filter()
    if ids is None:  # one kecamatan at a time: the whole city's checklist is ~2,000 rows
        ids = [options[0].id]
    return render_template("planning/logistics.html", checklist=logistics_checklist(db.session, ids),
                           kecamatan_options=options, chosen=ids[0], allow_all=False)
