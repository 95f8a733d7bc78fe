"""Medics' phone pages for officer health: high-risk officers per TPS of their station, check-ins to
tick off during the day and on the follow-up days, and the screening form."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from logistics.errors import DomainError, ValidationFailed
from logistics.models import HealthCheckin, HealthScreening, RiskTier, Tps
from logistics.permissions import Permission
from logistics.queries.coverage import kelurahan_covered_by, tps_covered_by, tps_of_kelurahan
from logistics.queries.operations import station_officers
from logistics.queries.tps_search import search_tps
from logistics.rules.risk import CONDITIONS
from logistics.services.screening import OUTCOMES, RANGES, complete_checkin, officer_to_screen, record_screening
from logistics.timeutil import to_local, utcnow
from field.web import done
from siaga.auth import current_actor, current_user, requires
from siaga.election import election_day, local_zone
from siaga.errors import wants_json
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormDay, FormId, FormInt, FormList, FormText
from siaga.forms import FormSchema, with_form, with_query
from siaga.i18n import _
from siaga.idempotency import idempotent

bp = Blueprint("health_checks", __name__, url_prefix="/lapangan/kesehatan", template_folder="templates")
FOLLOW_UP_DAYS = 7
PAGE_SIZE = 15  # officers per page: a station covers dozens of TPS, the whole list was 26,000 px tall



class DayQuery(FormSchema):
    tanggal = FormDay()


class OfficerListQuery(DayQuery):
    """The high-risk list's filters: risk tier, kelurahan, a TPS search (number or kelurahan), page."""
    risiko = FormChoice(RiskTier)
    kelurahan = FormId()
    cari = FormText(60)
    hal = FormInt(1, 10_000)


class CheckinForm(FormSchema):
    hasil = FormChoice(tuple(OUTCOMES), required=True)
    catatan = FormText(HealthCheckin.notes)


class ScreeningForm(FormSchema):
    """The plausible ranges are the service's (it checks them again for other callers)."""
    sistolik = FormInt(*RANGES["systolic"])
    diastolik = FormInt(*RANGES["diastolic"])
    gula_darah = FormInt(*RANGES["blood_sugar"])
    usia = FormInt(*RANGES["age"])
    kondisi = FormList(FormChoice(tuple(CONDITIONS)))
    catatan = FormText(HealthScreening.notes)


def _day(query: dict) -> date:
    """The day shown: ?tanggal=, else today when it falls within the follow-up week, else election day."""
    election = election_day()
    if query.get("tanggal"):
        return query["tanggal"]
    today = to_local(utcnow(), local_zone()).date()
    return today if 0 <= (today - election).days <= FOLLOW_UP_DAYS else election


def _page(groups: list, number: int) -> tuple[list, int, int]:
    """One page of PAGE_SIZE officers, still grouped per TPS; (groups of the page, officers, pages)."""
    flat = [(tps, care) for tps, officers in groups for care in officers]
    pages = max(1, -(-len(flat) // PAGE_SIZE))
    number = min(number, pages)
    shown: list[tuple[Tps, list]] = []
    for tps, care in flat[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]:
        if not shown or shown[-1][0].id != tps.id:
            shown.append((tps, []))
        shown[-1][1].append(care)
    return shown, len(flat), pages


@bp.get("/")
@requires(Permission.OWN_STATION_VIEW)
@with_query(OfficerListQuery)
def index(query: dict):
    user = current_user()
    if user.medic_station_id is None:
        return render_template("error.html", status=403, message=_("Pos ini belum terhubung ke akun Anda."), fields={}), 403
    election = election_day()
    day = _day(query)
    tier = query.get("risiko", RiskTier.TINGGI)
    covered = tps_covered_by(db.session, user.medic_station_id)
    kelurahan_choices = kelurahan_covered_by(db.session, user.medic_station_id)
    within = None
    if query.get("cari"):  # the same TPS search as the incident form's place picker (read scope: covered TPS)
        within = {hit.id for hit in search_tps(db.session, current_actor(), query["cari"], limit=len(covered) or 1)}
    if query.get("kelurahan"):
        in_kelurahan = tps_of_kelurahan(db.session, query["kelurahan"])
        within = in_kelurahan if within is None else within & in_kelurahan
    groups = station_officers(db.session, user.medic_station_id, (tier,), day, within=within)
    shown, total, pages = _page(groups, query.get("hal", 1))
    page = min(query.get("hal", 1), pages)
    filters = {"tanggal": day.isoformat(), "risiko": tier.value, "kelurahan": query.get("kelurahan") or "",
               "cari": query.get("cari") or ""}
    days = [election.fromordinal(election.toordinal() + n) for n in range(FOLLOW_UP_DAYS + 1)]
    return render_template("health_checks/index.html", groups=shown, day=day, days=days, election=election,
                           station=user.medic_station, outcomes=OUTCOMES, now=utcnow(), tier=tier,
                           tiers=list(RiskTier), kelurahan_choices=kelurahan_choices, filters=filters,
                           total=total, page=page, pages=pages)


@bp.post(f"/pemeriksaan/<{ID_PATH}:checkin_id>")
@requires(Permission.OFFICER_SCREEN)
@idempotent
@with_form(CheckinForm)
def record_checkin(checkin_id: int, form: dict):
    checkin = db.get_or_404(HealthCheckin, checkin_id)
    back = url_for(".index", tanggal=to_local(checkin.due_at, local_zone()).date().isoformat())
    try:
        complete_checkin(db.session, current_actor(), checkin.id, form["hasil"], form.get("catatan"))
    except DomainError as exc:
        if exc.http_status == 403:
            abort(403)
        if wants_json():
            raise  # the offline queue shows the refusal (and does not retry it)
        flash(str(exc.message))
        return redirect(back, 303)
    return done(_("Pemeriksaan dicatat."), back)


@bp.route(f"/skrining/<{ID_PATH}:person_id>", methods=["GET", "POST"])
@requires(Permission.OFFICER_SCREEN)
@idempotent
@with_form(ScreeningForm, inline_errors=True)
def screening(person_id: int, form: dict | None, form_errors: dict):
    person = officer_to_screen(db.session, current_actor(), person_id)  # 404 / 403 from the service's rule
    errors = form_errors
    if errors and wants_json():  # the offline queue's post: the error shape, shown beside its fields
        raise ValidationFailed(_("Periksa isian."), errors)
    if form is not None:
        try:
            result = record_screening(
                db.session, current_actor(), person.id, systolic=form.get("sistolik"),
                diastolic=form.get("diastolik"), blood_sugar=form.get("gula_darah"), age=form.get("usia"),
                conditions=form.get("kondisi", []), notes=form.get("catatan"), election_day=election_day())
            return done(_("Skrining disimpan: risiko {tier}.", tier=str(result.risk_tier.label).lower()),
                        url_for(".index"))
        except DomainError as exc:
            if wants_json():
                raise
            errors = exc.fields or {"-": exc.message}
    return render_template("health_checks/screening.html", person=person, conditions=CONDITIONS,
                           errors=errors), (422 if errors else 200)
