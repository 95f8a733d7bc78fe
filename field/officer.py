"""TPS officer pages: the TPS and its day, status posts and corrections, meal and logistics receipts."""
from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from sqlalchemy.orm import joinedload

from logistics.models import (
    Delivery, DeliveryKind, DeliveryStatus, Kecamatan, Kelurahan, MedicStation, Role, Tps, TpsStatus,
)
from logistics.permissions import Permission
from logistics.permissions.read_scope import load_visible, personal_visible, visible_ids
from logistics.queries.field_lists import tps_deliveries, tps_incidents
from logistics.rules.quorum import below_quorum
from logistics.rules.lifecycles import delivery as delivery_lifecycle
from logistics.rules.lifecycles.incident import OPEN as INCIDENT_OPEN
from logistics.rules.lifecycles.tps_day import ORDER as TPS_ORDER, TPS_STEP_BUTTONS, skipped_steps as tps_skipped_steps
from logistics.services.deliveries import advance_delivery, \
    correct_delivery
from logistics.services.common import CORRECTION_REASON_MAX
from logistics.services.tps_status import MAX_OFFICERS_ON_SITE, STEP_TIME_FIELD, \
    advance_tps_status, correct_tps_status, report_officers_present
from field import bp
from field.web import ask_first, back_to, done
from siaga.election import election_settings, election_window, reader_zone_is
from siaga.auth import current_actor, current_user, login_required, requires
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormFlag, FormInt, FormText
from siaga.forms import FormSchema, with_form
from siaga.i18n import _, label
from siaga.idempotency import idempotent
from siaga.live import live_page
from logistics.services.data_versions import scoped_names




class OfficersForm(FormSchema):
    officers_present = FormInt(0, MAX_OFFICERS_ON_SITE, required=True)


class StatusForm(FormSchema):
    to_status = FormChoice(TpsStatus, required=True)
    confirm = FormFlag()  # the answer to "Yakin?" (field.web.ask_first)
    reason = FormText(CORRECTION_REASON_MAX)  # why steps are skipped


class CorrectionForm(FormSchema):
    to_status = FormChoice(TpsStatus)
    reason = FormText(CORRECTION_REASON_MAX)  # kept in the audit entry; the service requires it
    officers_present = FormInt(0, MAX_OFFICERS_ON_SITE)


class DeliveryStepForm(FormSchema):
    """One step of a delivery from the TPS or the courier; `next` is the page to go back to."""
    action = FormChoice(("delivered", "short", "failed", "dispatched", "arrived"), required=True)
    confirm = FormFlag()
    quantity_received = FormInt()
    quantity_damaged = FormInt()
    received_by = FormText(Delivery.received_by)
    reason = FormText(Delivery.failure_reason)
    next = FormText(500)


class DeliveryCorrectionForm(FormSchema):
    to_status = FormChoice(delivery_lifecycle.CORRECTABLE_TO, required=True)
    reason = FormText(CORRECTION_REASON_MAX)  # kept in the audit entry; the service requires it


# The kelurahan and kecamatan the TPS pages name, without their polygons (named, not drawn).
_AREA_NAMED = (joinedload(Tps.kelurahan).options(
    *Kelurahan.polygons_left_out(),
    joinedload(Kelurahan.kecamatan).options(*Kecamatan.polygons_left_out())),)


def _visible_tps(tps_id: int) -> Tps:
    """The TPS through the read filter (missing: 404, out of scope: 403), with the kelurahan and kecamatan
    its pages name; posts leave it to the service."""
    actor = current_actor()
    tps = load_visible(db.session, actor, Tps, tps_id, "TPS", options=_AREA_NAMED)
    if tps.id == actor.tps_id:  # an officer's own TPS: their area, whose clock the layout names
        reader_zone_is(tps.zone)
    return tps


@bp.get("/")
@login_required
def home():
    """`/lapangan/`: each role to its own page."""
    role = current_actor().role
    if role == Role.COURIER:
        return redirect(url_for("field.route"))
    if role == Role.MEDIC:
        return redirect(url_for("field.my_station"))
    return redirect(url_for("field.my_tps"))


@bp.get("/tps")
@requires(Permission.TPS_VIEW)
def my_tps():
    actor = current_actor()
    if actor.tps_id is None:
        abort(403)
    return redirect(url_for("field.tps_page", tps_id=actor.tps_id))


def timeline(tps: Tps) -> list[tuple[str, object]]:
    """(label, time) for each step of the day, in order; time None when not posted yet."""
    steps = [(_("Petugas hadir"), tps.officers_reported_at)]
    steps += [(_(TPS_STEP_BUTTONS[s]), getattr(tps, STEP_TIME_FIELD[s])) for s in TPS_ORDER if s in STEP_TIME_FIELD]
    return steps


def step_question(current: TpsStatus, target: TpsStatus) -> str | None:
    """What to ask before a status step, or None when it is the plain next step. Skipping steps
    asks for a reason; handing the ballot box over is the day's last, irreversible act."""
    skipped = tps_skipped_steps(current, target)
    if skipped:
        return _("Langkah {steps} belum dilaporkan dan akan dilewati. Lanjut ke \"{target}\"?",
                 steps=", ".join(label(s) for s in skipped), target=label(target))
    if target == TpsStatus.HANDED_OVER:
        return _("Kotak suara sudah benar-benar diserahkan ke PPS? Ini langkah terakhir hari ini.")
    return None


def tps_versions(tps_id: int) -> tuple[str, ...]:
    """What a TPS's pages show: the TPS, its deliveries and incidents, and the stations they go to."""
    return (*scoped_names("tps", "t", tps_id), *scoped_names("delivery", "t", tps_id),
            *scoped_names("health_incident", "t", tps_id), "medic_station")


@bp.get(f"/tps/<{ID_PATH}:tps_id>")
@requires(Permission.TPS_VIEW)
@live_page(tps_versions, names_from_address=True)
def tps_page(tps_id: int):
    tps = _visible_tps(tps_id)
    day_start, _end = election_window()
    incidents = tps_incidents(db.session, tps.id, day_start)
    later = [s for s in TPS_ORDER if TPS_ORDER.index(s) > TPS_ORDER.index(tps.status)]
    earlier = [s for s in TPS_ORDER if TPS_ORDER.index(s) < TPS_ORDER.index(tps.status)]
    return render_template(
        "field/tps.html", tps=tps, timeline=timeline(tps),
        next_steps=[(s, TPS_STEP_BUTTONS[s], step_question(tps.status, s), bool(tps_skipped_steps(tps.status, s)),
                     TPS_ORDER.index(s)) for s in later],  # the rank: field.js holds steps not further along
        earlier=earlier, below_quorum=below_quorum(tps.officers_present, election_settings().quorum),
        quorum=election_settings().quorum,
        incidents=incidents, open_incidents=[i for i in incidents if i.status in INCIDENT_OPEN],
        phones=_station_phones({i.medic_station for i in incidents if i.medic_station}),
        arrived=tps_deliveries(db.session, tps.id, DeliveryStatus.ARRIVED),
        precache=current_actor().role == Role.FIELD_OFFICER,  # the officer's landing page (field/offline.py)
    )


def _station_phones(stations) -> dict[int, str]:
    """The phones of these stations that the user may see (an officer: the stations their TPS calls), in
    one query."""
    with_phone = [s for s in stations if s.contact_phone]
    if not with_phone:
        return {}
    seen = visible_ids(db.session, personal_visible(db.session, current_actor(), MedicStation), MedicStation,
                       [s.id for s in with_phone])
    return {s.id: s.contact_phone for s in with_phone if s.id in seen}


@bp.post(f"/tps/<{ID_PATH}:tps_id>/petugas")
@requires(Permission.TPS_POST_STATUS)
@idempotent
@with_form(OfficersForm)
def officers_present(tps_id: int, form: dict):
    count = form["officers_present"]
    report_officers_present(db.session, current_actor(), tps_id, count)
    message = _("Jumlah petugas hadir tercatat: {n}.", n=count)
    quorum = election_settings().quorum
    if below_quorum(count, quorum):
        message += " " + _("Di bawah kuorum: hanya {n} petugas hadir, minimal {q}. Hubungi PPS untuk petugas "
                           "pengganti.", n=count, q=quorum)
    return done(message, url_for("field.tps_page", tps_id=tps_id))


@bp.post(f"/tps/<{ID_PATH}:tps_id>/status")
@requires(Permission.TPS_POST_STATUS)
@idempotent
@with_form(StatusForm)
def tps_status(tps_id: int, form: dict):
    tps = _visible_tps(tps_id)  # what to ask first depends on its status; the service checks the post
    target = TpsStatus(form["to_status"])
    question = step_question(tps.status, target)
    skipped = tps_skipped_steps(tps.status, target)
    if question and (not form.get("confirm") or (skipped and not (form.get("reason") or "").strip())):
        return ask_first(question, _("Ya, {step}", step=_(TPS_STEP_BUTTONS.get(target, label(target)))), form,
                         url_for("field.tps_page", tps_id=tps.id),
                         reason=_("Alasan langkah dilewati") if skipped else None)
    tps = advance_tps_status(db.session, current_actor(), tps.id, target, reason=form.get("reason"))
    return done(_("Status tercatat: {status}.", status=label(tps.status)), url_for("field.tps_page", tps_id=tps.id))


@bp.post(f"/tps/<{ID_PATH}:tps_id>/koreksi")
@requires(Permission.TPS_POST_STATUS)
@idempotent
@with_form(CorrectionForm)
def tps_correct(tps_id: int, form: dict):
    correct_tps_status(db.session, current_actor(), tps_id, form.get("to_status"), form.get("reason", ""),
                       officers_present=form.get("officers_present"))
    return done(_("Koreksi tercatat."), url_for("field.tps_page", tps_id=tps_id))


@bp.get(f"/tps/<{ID_PATH}:tps_id>/kiriman")
@requires(Permission.TPS_VIEW)
@live_page(tps_versions, names_from_address=True)
def tps_deliveries_page(tps_id: int):
    tps = _visible_tps(tps_id)
    actor = current_actor()
    return render_template("field/deliveries.html", tps=tps, deliveries=tps_deliveries(db.session, tps.id),
                           # the receiver is usually the officer posting: their name, filled in
                           receiver_name=current_user().full_name if actor.role == Role.FIELD_OFFICER else "",
                           correction_targets=list(reversed(delivery_lifecycle.CORRECTABLE_TO)))


@bp.post(f"/kiriman/<{ID_PATH}:delivery_id>")
@requires(Permission.DELIVERY_MOVE)
@idempotent
@with_form(DeliveryStepForm)
def delivery_update(delivery_id: int, form: dict):
    """One step of a delivery, from the TPS (received, short, did not arrive) or the courier."""
    actor = current_actor()
    # Read once, through the read filter (what the question and the message show); the step's permission
    # (e.g. a courier may not confirm the receipt: that is the TPS's) is the service's, checked once.
    delivery = load_visible(db.session, actor, Delivery, delivery_id, "Pengiriman")
    action = form["action"]
    back = back_to(form, url_for("field.route") if actor.role == Role.COURIER else
                   url_for("field.tps_deliveries_page", tps_id=delivery.tps_id))
    if action == "failed" and not form.get("confirm"):
        return ask_first(_("Catat {what} tidak datang? Koordinator akan diberi tahu.", what=_delivery_name(delivery)),
                         _("Ya, tidak datang"), form, back)
    if action in ("delivered", "short"):
        damaged = form.get("quantity_damaged") if delivery.kind == DeliveryKind.LOGISTICS else None
        delivery = advance_delivery(db.session, actor, delivery.id, DeliveryStatus.DELIVERED,
                                    quantity_received=form.get("quantity_received"),
                                    received_by=form.get("received_by"), quantity_damaged=damaged,
                                    short=action == "short")
        message = _("Penerimaan tercatat: {n} dari {planned} {unit}.", n=delivery.quantity_received,
                    planned=delivery.quantity_planned, unit=delivery.unit_for(delivery.quantity_planned))
        if delivery.quantity_damaged:
            message += " " + _("{n} {unit} rusak.", n=delivery.quantity_damaged,
                               unit=delivery.unit_for(delivery.quantity_damaged))
        if delivery.short_note is not None:
            message += " " + str(delivery.short_note)
    elif action == "failed":
        advance_delivery(db.session, actor, delivery.id, DeliveryStatus.FAILED,
                         reason=form.get("reason") or _("Tidak datang"))
        message = _("Tercatat tidak datang.")
    elif action == "dispatched":
        advance_delivery(db.session, actor, delivery.id, DeliveryStatus.DISPATCHED)
        message = _("Tercatat dalam perjalanan.")
    elif action == "arrived":
        advance_delivery(db.session, actor, delivery.id, DeliveryStatus.ARRIVED)
        message = _("Tercatat sampai. Petugas TPS mengonfirmasi jumlah dan penerimanya.")
    return done(message, back)


def _delivery_name(delivery: Delivery) -> str:
    return str(delivery.what)


@bp.post(f"/kiriman/<{ID_PATH}:delivery_id>/koreksi")
@requires(Permission.DELIVERY_RECEIVE)
@idempotent
@with_form(DeliveryCorrectionForm)
def delivery_correct(delivery_id: int, form: dict):
    """Put back a receipt or "did not come" posted by mistake, with a reason (audited)."""
    delivery = correct_delivery(db.session, current_actor(), delivery_id, form["to_status"], form.get("reason", ""))
    return done(_("Koreksi tercatat."), url_for("field.tps_deliveries_page", tps_id=delivery.tps_id))
