"""Health incidents on the phone: report one fast, a medic station's queue, an incident's page."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, url_for
from sqlalchemy import select

from logistics.errors import ValidationFailed
from logistics.models import (
    HealthIncident, IncidentStatus, MedicStation, PatientKind, Role, Tps, Triage,
)
from logistics.permissions import Permission, Target, may
from logistics.permissions.read_scope import load_visible, sees_personal
from logistics.queries.field_lists import (
    referral_facilities, station_for_queue, station_open_incidents, station_recently_closed,
)
from logistics.queries.tps_search import TpsHit, search_tps
from logistics.rules.care_times import time_to_care, time_to_response
from logistics.rules.complaints import COMPLAINT_VALUES, COMPLAINTS
from logistics.rules.triage import while_waiting
from logistics.rules.lifecycles.incident import (
    DONE, INCIDENT, INCIDENT_STEP_BUTTONS, INCIDENT_STEP_RANK, REOPEN_WINDOW, may_reopen,
)
from logistics.services.common import CORRECTION_REASON_MAX
from logistics.services.incidents import (
    advance_incident, assign_medic_station, correct_incident, incident_kecamatan_id,
    incident_target, report_incident,
)
from logistics.timeutil import utcnow
from field import bp
from field.web import ask_first, back_to, done
from siaga.auth import current_actor, requires
from siaga.extensions import db
from siaga.fields import ID_PATH, FormChoice, FormFlag, FormId, FormText
from siaga.forms import FormSchema, with_form, with_query
from siaga.i18n import _, label, lazy_gettext
from siaga.idempotency import idempotent
from siaga.live import live_page
from logistics.services.data_versions import scoped_names

S = IncidentStatus
TRIAGE_HINTS = {
    Triage.MERAH: lazy_gettext("Gawat: tidak sadar, sesak berat, nyeri dada, perdarahan hebat"),
    Triage.KUNING: lazy_gettext("Segera: sadar, tetapi tidak bisa berjalan atau keluhan berat"),
    Triage.HIJAU: lazy_gettext("Ringan: bisa berjalan sendiri, keluhan ringan"),
    Triage.HITAM: lazy_gettext("Tidak bernapas walau jalan napas dibuka"),
}
TRIAGE_ORDER = (Triage.MERAH, Triage.KUNING, Triage.HIJAU, Triage.HITAM)
WAITING = (S.REPORTED, S.RESPONDING)  # the patient is with the reporter until the medic treats or refers



class IncidentNewQuery(FormSchema):
    tps_id = FormId()
    cari = FormText(60)  # the place picker's search, for phones without JavaScript


class TpsSearchQuery(FormSchema):
    q = FormText(60)


class IncidentReportForm(FormSchema):
    tps_id = FormId()  # default: the reporter's own TPS
    complaint = FormChoice(COMPLAINT_VALUES, required=True)
    patient_kind = FormChoice(PatientKind, required=True)
    triage = FormChoice(Triage, required=True)
    patient_name = FormText(HealthIncident.patient_name)
    notes = FormText(HealthIncident.notes)


class IncidentStepForm(FormSchema):
    to_status = FormChoice(IncidentStatus, required=True)
    referral_facility_id = FormId()
    notes = FormText(HealthIncident.notes)
    next = FormText(500)
    confirm = FormFlag()  # the answer to "Selesai?" (field.web.ask_first)


class IncidentCorrectionForm(FormSchema):
    reason = FormText(CORRECTION_REASON_MAX)  # kept in the audit entry; the service requires it


class IncidentAssignForm(FormSchema):
    medic_station_id = FormId(required=True)


def complaint_options() -> list[tuple[str, str]]:
    """(value, label in the current language) of each complaint on the short list."""
    return [(value, str(text)) for value, text in COMPLAINTS]


@bp.get("/kejadian/baru")
@requires(Permission.INCIDENT_REPORT)
@with_query(IncidentNewQuery)
def incident_new(query: dict):
    actor = current_actor()
    tps_id = query.get("tps_id") or actor.tps_id
    tps = db.session.get(Tps, tps_id) if tps_id else None
    # Who has no TPS of their own (medics, couriers, coordinators) picks the place: a select of the TPS
    # they may see, narrowed by a search (a GET of this page without JavaScript, /lapangan/tps/cari with it).
    pick_place = actor.tps_id is None
    choices = search_tps(db.session, actor, query.get("cari")) if pick_place else []
    if pick_place and tps is not None and all(hit.id != tps.id for hit in choices):
        choices = [TpsHit(tps.id, f"{tps.label} · {tps.kelurahan.nama}, {tps.kelurahan.kecamatan.nama}"), *choices]
    return render_template("field/incident_new.html", tps=tps, patient_kinds=list(PatientKind),
                           complaints=complaint_options(), triages=[(t, TRIAGE_HINTS[t]) for t in TRIAGE_ORDER],
                           pick_place=pick_place, tps_choices=choices, search_text=query.get("cari", ""))


@bp.get("/tps/cari")
@requires(Permission.INCIDENT_REPORT)
@with_query(TpsSearchQuery)
def tps_search(query: dict):
    """The place picker's live search: TPS within the caller's read scope, by number and kelurahan name."""
    hits = search_tps(db.session, current_actor(), query.get("q"))
    return jsonify({"items": [{"id": hit.id, "label": hit.label} for hit in hits]})


@bp.post("/kejadian")
@requires(Permission.INCIDENT_REPORT)
@idempotent
@with_form(IncidentReportForm)
def incident_report(form: dict):
    actor = current_actor()
    tps_id = form.get("tps_id") or actor.tps_id
    if tps_id is None:
        raise ValidationFailed(_("Laporan tidak lengkap."), {"tps_id": _("Pilih TPS tempat kejadian.")})
    incident = report_incident(
        db.session, actor, patient_kind=form["patient_kind"], complaint=form["complaint"],
        triage=form["triage"], tps_id=tps_id, patient_name=form.get("patient_name"), notes=form.get("notes"),
    )
    station = incident.medic_station.name if incident.medic_station else "-"
    return done(_("Laporan terkirim ke {station}.", station=station),
                url_for("field.incident_detail", incident_id=incident.id))


def _visible_incident(incident_id: int) -> HealthIncident:
    """The incident through the read filter (missing: 404, out of scope: 403)."""
    return load_visible(db.session, current_actor(), HealthIncident, incident_id, "Kejadian")


def next_steps(incident: HealthIncident) -> list[tuple[IncidentStatus, str]]:
    return [(s, INCIDENT_STEP_BUTTONS[s]) for s in INCIDENT_STEP_BUTTONS if s in INCIDENT.steps[incident.status]]


def incident_versions(incident_id: int) -> tuple[str, ...]:
    """What an incident's page shows: its station's incidents (a reassignment moves both stations'), the
    stations and facilities named on it."""
    incident = db.session.get(HealthIncident, incident_id)
    station_id = incident.medic_station_id if incident is not None else None
    return (*scoped_names("health_incident", "s", station_id), "medic_station", "health_facility")


@bp.get(f"/kejadian/<{ID_PATH}:incident_id>")
@requires(Permission.INCIDENT_VIEW)
@live_page(incident_versions)
def incident_detail(incident_id: int):
    incident = _visible_incident(incident_id)
    actor = current_actor()
    kecamatan_id = incident_kecamatan_id(incident)
    may_act = may(actor, Permission.INCIDENT_CARE, incident_target(incident))  # which buttons to show
    may_reassign = may(actor, Permission.INCIDENT_ASSIGN, Target(kecamatan_id=kecamatan_id)) and incident.status not in DONE
    stations = []
    if may_reassign:
        stations = [s for s in db.session.scalars(select(MedicStation).order_by(MedicStation.name))
                    if may(actor, Permission.INCIDENT_ASSIGN, Target(kecamatan_id=s.kecamatan_id))]
    steps = [(_("Dilaporkan"), incident.reported_at)] + [
        (label(s), getattr(incident, column)) for s, column in INCIDENT.step_times.items()]
    station = incident.medic_station
    return render_template(
        "field/incident.html", incident=incident, steps=steps, may_act=may_act,
        # Back to where each came from: a medic to their station's list, an officer to their TPS.
        back_to_station=actor.role == Role.MEDIC, back_to_tps=actor.role == Role.FIELD_OFFICER,
        station_phone=station.contact_phone if station and sees_personal(db.session, actor, station) else None,
        # The reporter's side: what to do until the medic comes, while nobody is treating the patient yet.
        guidance=while_waiting(incident.triage) if actor.role == Role.FIELD_OFFICER and incident.status in WAITING
        else (),
        actions=next_steps(incident) if may_act else [],
        facilities=referral_facilities(db.session) if may_act and S.REFERRED in INCIDENT.steps[incident.status] else [],
        stations=stations, triage_hint=TRIAGE_HINTS[incident.triage], step_rank=INCIDENT_STEP_RANK,
        close_question=close_question(incident),
        may_reopen=may_act and may_reopen(incident.status, incident.closed_at, utcnow()),
        response_min=time_to_response(incident.reported_at, incident.responding_at),
        care_min=time_to_care(incident.reported_at, incident.treated_at, incident.referred_at),
    )


@bp.post(f"/kejadian/<{ID_PATH}:incident_id>/status")
@requires(Permission.INCIDENT_CARE)
@idempotent
@with_form(IncidentStepForm)
def incident_step(incident_id: int, form: dict):
    actor = current_actor()
    to_status = form["to_status"]
    back = back_to(form, url_for("field.incident_detail", incident_id=incident_id))
    if to_status == S.CLOSED and not form.get("confirm"):  # the question shows what the reader may see
        return ask_first(close_question(_visible_incident(incident_id)), _("Ya, selesai"), form, back)
    facility_id = form.get("referral_facility_id") if to_status == S.REFERRED else None
    incident = advance_incident(db.session, actor, incident_id, to_status, referral_facility_id=facility_id,
                                notes=form.get("notes"))
    return done(_("Status kejadian: {status}.", status=label(incident.status)), back)


def close_question(incident: HealthIncident) -> str:
    """What "Selesai" asks first (the page's dialog, or the page without JavaScript)."""
    return _("Tutup kejadian #{id}? Kejadian hilang dari daftar pos; bisa dibuka lagi dalam {n} jam.",
             id=incident.id, n=int(REOPEN_WINDOW.total_seconds() // 3600))


@bp.post(f"/kejadian/<{ID_PATH}:incident_id>/koreksi")
@requires(Permission.INCIDENT_CARE)
@idempotent
@with_form(IncidentCorrectionForm)
def incident_correct(incident_id: int, form: dict):
    """Reopen an incident closed by mistake, with a reason (audited), within the window after closing."""
    incident = correct_incident(db.session, current_actor(), incident_id, form.get("reason", ""))
    return done(_("Kejadian dibuka lagi: {status}.", status=label(incident.status)),
                url_for("field.incident_detail", incident_id=incident.id))


@bp.post(f"/kejadian/<{ID_PATH}:incident_id>/pos")
@requires(Permission.INCIDENT_ASSIGN)
@idempotent
@with_form(IncidentAssignForm)
def incident_assign(incident_id: int, form: dict):
    incident = assign_medic_station(db.session, current_actor(), incident_id, form["medic_station_id"])
    return done(_("Kejadian dipindahkan ke {station}.", station=incident.medic_station.name),
                url_for("field.incident_detail", incident_id=incident.id))


@bp.get("/pos")
@requires(Permission.OWN_STATION_VIEW)
def my_station():
    actor = current_actor()
    if actor.medic_station_id is None:
        abort(403)
    return redirect(url_for("field.station", station_id=actor.medic_station_id))


@bp.get(f"/pos/<{ID_PATH}:station_id>")
@requires(Permission.STATION_VIEW)
@live_page(lambda station_id: (*scoped_names("health_incident", "s", station_id), "medic_station", "health_facility"),
           names_from_address=True)
def station(station_id: int):
    medic_station = station_for_queue(db.session, current_actor(), station_id)
    incidents = station_open_incidents(db.session, current_actor(), medic_station.id)
    referable = {i.id: S.REFERRED in INCIDENT.steps[i.status] for i in incidents}
    return render_template("field/station.html", station=medic_station, incidents=incidents,
                           actions={i.id: next_steps(i) for i in incidents}, step_rank=INCIDENT_STEP_RANK,
                           close_questions={i.id: close_question(i) for i in incidents},
                           reopenable=station_recently_closed(db.session, current_actor(), medic_station.id,
                                                              utcnow() - REOPEN_WINDOW),
                           referable=referable, referred=S.REFERRED, respond_label=INCIDENT_STEP_BUTTONS[S.RESPONDING],
                           facilities=referral_facilities(db.session) if any(referable.values()) else [],
                           precache=current_actor().role == Role.MEDIC)  # the medic's landing (field/offline.py)
