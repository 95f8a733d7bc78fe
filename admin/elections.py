"""Elections (logistics/services/elections.py): the list, a new election made from an earlier one, which one
is active, and browsing an earlier one read-only.

Browsing is this browser session's choice (`VIEW_KEY`), applied to the database session at the start of
every request (`apply_view`); while it names an election that is not the active one, the pages show it with
a banner and the unit of work refuses every write (logistics/election_scope.py).
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, g, redirect, render_template, session, url_for

from logistics.election_scope import view
from logistics.models import Election, ElectionKind
from logistics.permissions import Permission
from logistics.services.elections import activate, create_election, elections
from siaga.auth import current_actor, requires
from siaga.extensions import db
from siaga.fields import FormChoice, FormDay, FormFlag, FormId, FormText
from siaga.forms import FormSchema, with_form
from siaga.i18n import _
from siaga.idempotency import idempotent

bp = Blueprint("admin_elections", __name__, url_prefix="/admin", template_folder="templates")
VIEW_KEY = "election_view"  # the browser session's election being browsed (absent: the active one)


class CreateForm(FormSchema):
    dari = FormId(required=True)  # the election copied from
    jenis = FormChoice(tuple(k.value for k in ElectionKind), required=True)
    nama = FormText(120, required=True)
    tanggal = FormDay(required=True)
    aktifkan = FormFlag()


class ViewForm(FormSchema):
    pemilihan = FormId()  # absent: back to the active election


@bp.get("/pemilihan")
@requires(Permission.AREA_SETUP)
def index():
    return render_template("admin/elections.html", elections=elections(db.session),
                           kinds=list(ElectionKind))


@bp.post("/pemilihan")
@requires(Permission.AREA_SETUP)
@idempotent
@with_form(CreateForm)
def create(form: dict):
    election = create_election(db.session, current_actor(), from_election_id=form["dari"], kind=form["jenis"],
                               name=form["nama"], day=form["tanggal"], activate=bool(form.get("aktifkan")))
    flash(_("Pemilihan {name} dibuat dari pemilihan sebelumnya.", name=election.name))
    return redirect(url_for(".index"), 303)


@bp.post("/pemilihan/<int(max=2147483647):election_id>/aktif")
@requires(Permission.AREA_SETUP)
@idempotent
def make_active(election_id: int):
    election = activate(db.session, current_actor(), election_id)
    session.pop(VIEW_KEY, None)
    flash(_("Pemilihan aktif: {name}.", name=election.name))
    return redirect(url_for(".index"), 303)


@bp.post("/pemilihan/lihat")
@requires(Permission.AREA_SETUP)
@with_form(ViewForm)
def browse(form: dict):
    """Browse an election read-only (or, with none given, go back to the active one). Changes only this
    browser's session: no record is written."""
    chosen = form.get("pemilihan")
    election = db.session.get(Election, chosen) if chosen is not None else None
    if election is None or election.active:
        session.pop(VIEW_KEY, None)
    else:
        session[VIEW_KEY] = chosen
    return redirect(url_for("maps.dashboard"), 303)


def apply_view() -> None:
    """Every request: the database session reads the election this browser browses, else the active one."""
    chosen = session.get(VIEW_KEY)
    view(db.session, chosen)
    g.viewed_election = db.session.get(Election, chosen) if chosen is not None else None


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    # First of the request's own hooks after observability's start: before anything reads records.
    app.before_request_funcs.setdefault(None, []).insert(1, apply_view)

    @app.context_processor
    def _viewed_election():
        return {"viewed_election": g.get("viewed_election")}
