"""What each field role needs without signal: the list of pages its service worker copies at login.

Derived here, from the same queries the pages use, so it follows the day (a new incident's page, a new
meal round's tab) and never lists a page the login may not open. `field.js` asks for it on the role's
landing page while online and hands it to `static/sw.js`, which fetches every page into the login's cache
(and the CSS/JS those pages load). Offline, any of them opens from that copy.
"""
from __future__ import annotations

from flask import jsonify, url_for

from logistics.models import Role
from logistics.permissions import Permission
from logistics.queries.courier_route import courier_route
from logistics.queries.field_lists import station_open_incidents, tps_incidents
from field import bp
from siaga.auth import current_actor, requires
from siaga.election import election_window
from siaga.extensions import db



def offline_pages(actor) -> list[str]:
    """The URLs of every page `actor`'s role opens from its landing page: the landing page itself (and the
    addresses that redirect to it), each card's pages, and the incident form."""
    pages = [url_for("field.home"), url_for("field.incident_new")]
    start, end = election_window()
    if actor.role == Role.FIELD_OFFICER and actor.tps_id is not None:
        pages += [url_for("field.my_tps"), url_for("field.tps_page", tps_id=actor.tps_id),
                  url_for("field.tps_deliveries_page", tps_id=actor.tps_id),
                  url_for("field.incident_new", tps_id=actor.tps_id)]  # the landing page's link
        pages += [url_for("field.incident_detail", incident_id=i.id)
                  for i in tps_incidents(db.session, actor.tps_id, start)]
    elif actor.role == Role.COURIER and actor.person_id is not None:
        pages.append(url_for("field.route"))
        rounds = dict.fromkeys(d.planned_at for d in courier_route(db.session, actor.person_id, start, end))
        pages += [url_for("field.route", putaran=at.isoformat()) for at in rounds]
    elif actor.role == Role.MEDIC and actor.medic_station_id is not None:
        pages += [url_for("field.my_station"), url_for("field.station", station_id=actor.medic_station_id),
                  url_for("health_checks.index")]
        pages += [url_for("field.incident_detail", incident_id=i.id)
                  for i in station_open_incidents(db.session, actor, actor.medic_station_id)]
    return pages


@bp.get("/offline.json")
@requires(Permission.OFFLINE_PAGES)
def offline_manifest():
    """The pages the service worker keeps for this login (never cached itself: it is read fresh)."""
    return jsonify(pages=offline_pages(current_actor()))
