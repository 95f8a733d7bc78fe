"""The live map's GeoJSON endpoints: viewport filter, aggregation, scope, ETags, coverage."""
import pytest
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kelurahan, MedicStation, Tps, TpsCoverage, TpsStatus
from logistics.queries import map_points as mp
from logistics.queries.map_points import BBox
from logistics.rules.map_cells import TOP_ZOOM
from logistics.rules.geo import nearest
from logistics.services.incidents import report_incident
from logistics.services.tps_status import advance_tps_status
from tests.test_auth import login
from tests.factories import save

CITY = "105.9,-2.4,106.4,-1.9"


@pytest.fixture()
def coordinator(client):
    login(client, "koordinator")
    return client


def tps_url(bbox=CITY, zoom=14, color="status"):
    return f"/map/data/tps.geojson?bbox={bbox}&zoom={zoom}&color={color}"


def test_requires_a_coordinator_and_a_valid_bbox(client):
    assert client.get(tps_url(), headers={"Accept": "application/json"}).status_code == 401
    login(client, "petugas")
    assert client.get(tps_url()).status_code == 403
    client.post("/logout")
    login(client, "koordinator")
    for bad in ("", "1,2,3", "a,b,c,d", "10,10,5,5", "nan,1,2,3", "0,-95,1,1"):
        response = client.get(f"/map/data/tps.geojson?bbox={bad}", headers={"Accept": "application/json"})
        assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_failed"
        assert "bbox" in response.get_json()["error"]["fields"]


def test_detail_features_follow_the_bbox(coordinator, session):
    features = coordinator.get(tps_url()).get_json()["features"]
    assert len(features) == session.scalar(select(func.count(Tps.id)))
    one = session.scalars(select(Tps).order_by(Tps.id)).first()
    box = f"{one.lon - 0.0005},{one.lat - 0.0005},{one.lon + 0.0005},{one.lat + 0.0005}"
    near = coordinator.get(tps_url(box, 17)).get_json()["features"]
    assert one.id in [f["properties"]["id"] for f in near] and len(near) < len(features)
    props = next(f["properties"] for f in near if f["properties"]["id"] == one.id)
    assert props["status"] == one.status.value and props["url"] == f"/tps/{one.id}"
    assert props["station"] and props["station_km"] >= 0


def test_zoomed_out_points_are_aggregated_and_add_up(coordinator, session):
    body = coordinator.get(tps_url(zoom=8)).get_json()
    assert body["aggregate"] is True
    assert all(f["properties"]["aggregate"] for f in body["features"])
    assert sum(f["properties"]["count"] for f in body["features"]) == session.scalar(select(func.count(Tps.id)))


def test_kecamatan_coordinator_sees_only_its_kecamatan(client, session):
    login(client, "camat-gerunggang")
    ids = {f["properties"]["id"] for f in client.get(tps_url()).get_json()["features"]}
    expected = set(session.scalars(select(Tps.id).join(Kelurahan).join(Kecamatan).where(Kecamatan.nama == "Gerunggang")))
    assert ids == expected and ids


def test_etag_gives_304_until_a_post_changes_the_data(coordinator, session, actor_for):
    first = coordinator.get(tps_url())
    tag = first.headers["ETag"]
    assert coordinator.get(tps_url(), headers={"If-None-Match": tag}).status_code == 304
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    changed = coordinator.get(tps_url(), headers={"If-None-Match": tag})
    assert changed.status_code == 200
    status = {f["properties"]["id"]: f["properties"]["status"] for f in changed.get_json()["features"]}
    assert status[petugas.tps_id] == "open"


def test_meal_colouring_gives_each_tps_a_state(coordinator):
    features = coordinator.get(tps_url(color="meals")).get_json()["features"]
    # The demo's election day is past: every undelivered round is late.
    assert {f["properties"]["meal"] for f in features} == {"late"}


def test_incidents_carry_user_text_as_plain_data(coordinator, session, actor_for):
    petugas = actor_for("petugas")
    incident = report_incident(session, petugas, patient_kind="officer", complaint="pingsan", triage="kuning",
                               tps_id=petugas.tps_id, patient_name="<img src=x onerror=alert(1)>",
                               notes="<script>window.__xss=1</script>")
    features = coordinator.get("/map/data/incidents.geojson?bbox=" + CITY).get_json()["features"]
    mine = next(f["properties"] for f in features if f["properties"]["id"] == incident.id)
    assert mine["notes"] == "<script>window.__xss=1</script>" and mine["triage"] == "kuning"
    assert mine["url"] == f"/lapangan/kejadian/{incident.id}"


def test_stations_and_facilities(coordinator, session):
    stations = coordinator.get("/map/data/stations.geojson").get_json()["features"]
    assert len(stations) == session.scalar(select(func.count(MedicStation.id)))
    assert sum(s["properties"]["tps"] for s in stations) == session.scalar(select(func.count(Tps.id)))
    assert coordinator.get("/map/data/facilities.geojson").get_json()["features"]


def test_tps_popups_name_the_nearest_station(coordinator, session):
    stations = [(s.id, s.lat, s.lon) for s in session.scalars(select(MedicStation))]
    names = dict(session.execute(select(MedicStation.id, MedicStation.name)).all())
    features = coordinator.get(tps_url(zoom=16)).get_json()["features"]
    assert features
    for feature in features[:40]:
        tps = session.get(Tps, feature["properties"]["id"])
        expected_id, expected_m = nearest(tps.lat, tps.lon, stations)
        assert feature["properties"]["station"] == names[expected_id]
        assert feature["properties"]["station_km"] == round(expected_m / 1000, 2)


def test_tps_points_follow_a_renamed_station_and_kelurahan(coordinator, session):
    """A TPS point shows its kelurahan's and its nearest station's names: renaming either is a new answer
    to a poll (not a 304, nor a body this process kept from before)."""
    first = coordinator.get(tps_url(zoom=16))
    props = first.get_json()["features"][0]["properties"]
    station = session.get(MedicStation, session.scalar(select(TpsCoverage.medic_station_id)
                                                       .where(TpsCoverage.tps_id == props["id"])))
    station.name = "Pos Kesehatan Baru"
    save(session)
    renamed = coordinator.get(tps_url(zoom=16), headers={"If-None-Match": first.headers["ETag"]})
    assert renamed.status_code == 200
    assert renamed.get_json()["features"][0]["properties"]["station"] == "Pos Kesehatan Baru"
    kelurahan = session.get(Kelurahan, session.get(Tps, props["id"]).kelurahan_id)
    kelurahan.nama = "Kelurahan Baru"
    save(session)
    again = coordinator.get(tps_url(zoom=16), headers={"If-None-Match": renamed.headers["ETag"]})
    assert again.status_code == 200
    assert again.get_json()["features"][0]["properties"]["kelurahan"] == "Kelurahan Baru"


def test_a_kept_body_is_the_built_one_and_the_kept_bodies_stay_within_their_bytes(app, coordinator, monkeypatch):
    from maps.data import _Bodies

    kept = _Bodies(max_bytes=1 << 22)  # off under tests (rolled-back versions repeat); on for this one
    monkeypatch.setitem(app.extensions, "siaga_map_bodies", kept)
    first = coordinator.get(tps_url())
    assert kept.get(first.headers["ETag"].strip('"')) == first.data and first.mimetype == "application/geo+json"
    second = coordinator.get(tps_url())
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    english = coordinator.get(tps_url() + "&lang=en")  # another language: another tag, its own body
    assert english.headers["ETag"] != first.headers["ETag"] and kept.get(english.headers["ETag"].strip('"'))
    assert len(kept.bodies) == 2
    bodies = _Bodies(max_bytes=10)
    bodies.put("a", b"12345")
    bodies.put("b", b"12345")
    assert bodies.get("a") == b"12345"  # used: "b" is now the oldest
    bodies.put("c", b"123")
    assert bodies.get("b") is None and bodies.get("a") == b"12345" and bodies.get("c") == b"123"
    bodies.put("big", b"x" * 11)  # larger than the whole: not kept, nothing dropped for it
    assert bodies.get("big") is None and bodies.size == 8


# --- data versions: ETags that every change moves, deletions included ---

def add_tps(session, number=990) -> Tps:
    kel = session.scalars(select(Kelurahan).order_by(Kelurahan.id)).first()
    tps = Tps(kelurahan_id=kel.id, number=number, code=f"TEST-{number}", address="Jl. Uji", lat=kel.label_lat,
              lon=kel.label_lon, dpt=100)
    session.add(tps)
    save(session)
    return tps


def test_etags_change_when_a_tps_is_added_and_deleted(coordinator, session):
    def tags():
        return (coordinator.get("/map/data/stations.geojson").headers["ETag"],
                coordinator.get(tps_url()).headers["ETag"])

    before = tags()
    tps = add_tps(session)
    added = tags()
    assert added[0] != before[0] and added[1] != before[1]
    session.delete(tps)
    save(session)
    deleted = tags()
    assert deleted[0] not in (before[0], added[0]) and deleted[1] not in (before[1], added[1])


def test_versions_are_bumped_once_per_commit_for_what_changed(session, actor_for):
    from logistics.queries.data_versions import versions

    before = versions(session, "tps", "delivery", "health_incident")
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    after = versions(session, "tps", "delivery", "health_incident")
    old, new = (dict(p.split(":") for p in v.split("|")) for v in (before, after))
    assert int(new["tps"]) == int(old["tps"]) + 1 and new["health_incident"] == old["health_incident"]



def test_one_commit_bumps_every_table_it_changed_each_time(session):
    """The bump is one statement for several names (built once per count of names): each commit adds one to
    every counter named, whichever shard it lands on."""
    from logistics.queries.data_versions import versions
    from logistics.services.data_versions import bump

    def counts():
        return dict(p.split(":") for p in versions(session, "tps", "delivery", "medic_station").split("|"))

    before = counts()
    for _ in range(3):
        bump(session, ["delivery", "tps", "tps"])
        save(session)
    after = counts()
    assert int(after["tps"]) == int(before["tps"]) + 3
    assert int(after["delivery"]) == int(before["delivery"]) + 3
    assert after["medic_station"] == before["medic_station"]

# --- the zoomed-out map: counts stored per cell, refreshed in the background ---

def grid(client, zoom=8, bbox=CITY):
    return client.get(tps_url(bbox, zoom))


def cell_sums(response) -> tuple[int, int]:
    features = response.get_json()["features"]
    return sum(f["properties"]["count"] for f in features), sum(f["properties"]["opened"] for f in features)


def test_grid_counts_come_from_the_table_and_follow_a_refresh(coordinator, session, actor_for):
    from logistics.services.map_grid import refresh
    from siaga.worker import heartbeat

    heartbeat.beat(session)  # the worker is up: it counts again after a change (not the request)
    refresh(session)  # other tests may have committed changes for real since the seed counted
    assert refresh(session) is None  # nothing changed since
    first = grid(coordinator)
    total = session.scalar(select(func.count(Tps.id)))
    opened = session.scalar(select(func.count(Tps.id)).where(Tps.status != TpsStatus.SETUP))
    assert cell_sums(first) == (total, opened)
    for zoom in (3, 6, 9):  # every level adds up to the same (zoomed in further, the city shows its TPS)
        assert cell_sums(grid(coordinator, zoom))[0] == total, zoom
    for zoom in range(0, TOP_ZOOM + 1):
        assert sum(c["count"] for c in mp.stored_grid(session, BBox.parse(CITY), zoom)) == total, zoom
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    # Until the refresh, the stored counts (and their ETag) stay as they were.
    assert grid(coordinator, bbox=CITY).headers["ETag"] == first.headers["ETag"]
    result = refresh(session)
    assert result is not None and 0 < result.written <= 2 * 12  # one cell per level, in total and per kecamatan
    second = grid(coordinator)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert cell_sums(second) == (total, opened + 1)
    assert grid(coordinator).status_code == 200
    assert coordinator.get(tps_url(zoom=8), headers={"If-None-Match": second.headers["ETag"]}).status_code == 304
    assert refresh(session, force=True).written == 0  # idempotent: the same data, the same rows


def test_grid_cells_are_where_their_tps_are(coordinator, session):
    """A cell's point is the mean position of its TPS, inside the cell (of the stored counts: a grid behind
    the data is counted live within the asked box, whose cells hold only the TPS inside it)."""
    from logistics.rules.map_cells import cell_degrees
    from logistics.services.map_grid import refresh

    refresh(session)  # other tests may have committed changes for real since the seed counted
    size = cell_degrees(8)
    for f in grid(coordinator).get_json()["features"]:
        lon, lat = f["geometry"]["coordinates"]
        box = f"{lon - 1e-9},{lat - 1e-9},{lon + 1e-9},{lat + 1e-9}"
        assert len(grid(coordinator, 8, box).get_json()["features"]) == 1
        assert int((lon + 180) // size) == int((lon + 180 - 1e-9) // size)


def test_kecamatan_coordinator_grid_counts_only_its_kecamatan(client, session):
    login(client, "camat-gerunggang")
    expected = session.scalar(select(func.count(Tps.id)).join(Kelurahan).join(Kecamatan)
                              .where(Kecamatan.nama == "Gerunggang"))
    for zoom in (5, 8, 9):
        assert cell_sums(grid(client, zoom))[0] == expected, zoom


def test_grid_without_stored_counts_is_counted_live(coordinator, session):
    from logistics.models import MapGridCell, MapGridState

    session.query(MapGridCell).delete()
    session.query(MapGridState).delete()
    save(session)
    assert cell_sums(grid(coordinator))[0] == session.scalar(select(func.count(Tps.id)))


def test_one_refresh_at_a_time_and_the_second_finds_nothing_to_do(app, session):
    """Two processes refreshing at once: the second does not count the same data again (PostgreSQL:
    the advisory lock is taken; SQLite: it waits for the first's write lock, then finds the counts
    current). Run on the database's own committed data, in two connections."""
    import threading

    from sqlalchemy.orm import Session

    from logistics.services.map_grid import refresh
    from siaga.extensions import db

    with app.app_context():
        engine = db.engine
    with Session(engine) as catch_up:  # other tests may have committed changes for real: count those first
        refresh(catch_up)
        catch_up.commit()
    first, second_result = Session(engine), {}
    try:
        assert refresh(first, force=True) is not None  # holds its lock until it ends

        def second():
            with Session(engine) as other:
                second_result["value"] = refresh(other)
                other.rollback()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        first.rollback()
        thread.join(10)
        assert not thread.is_alive() and second_result == {"value": None}
    finally:
        first.close()


def test_counts_behind_the_data_are_counted_live_while_the_worker_is_down(coordinator, session, actor_for):
    """With no worker to count again, stored counts behind the data would never catch up."""
    from logistics.models import WorkerHeartbeat
    from logistics.services.map_grid import refresh

    session.query(WorkerHeartbeat).delete()  # no worker (or none for longer than heartbeat.STALE_AFTER)
    refresh(session)
    save(session)
    first = grid(coordinator)
    opened = cell_sums(first)[1]
    assert grid(coordinator).headers["ETag"] == first.headers["ETag"]  # current: the stored counts
    petugas = actor_for("petugas")
    advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
    behind = grid(coordinator)
    assert behind.headers["ETag"] != first.headers["ETag"] and cell_sums(behind)[1] == opened + 1


def test_the_worker_counts_the_grid_again_after_a_change(app, coordinator, session, actor_for, monkeypatch):
    from logistics.models import MapGridState
    from siaga.worker import JOBS, heartbeat, jobs  # noqa: F401  (registers the jobs)

    heartbeat.beat(session)
    refresh_job = next(j for j in JOBS if j.name == "refresh_map_grid")
    assert not refresh_job.enabled(app)  # off under testing (MAP_GRID_REFRESH=off): tests count explicitly
    monkeypatch.setitem(app.config, "MAP_GRID_REFRESH", "background")
    monkeypatch.setitem(app.config, "MAP_GRID_REFRESH_S", 0)
    assert refresh_job.enabled(app)
    with app.app_context():
        refresh_job.run(app)  # other tests may have committed changes for real since the seed counted
        assert refresh_job.run(app) is None  # nothing changed: nothing counted (not even SQLite's write lock)
        opened = cell_sums(grid(coordinator))[1]
        petugas = actor_for("petugas")
        advance_tps_status(session, petugas, petugas.tps_id, TpsStatus.OPEN)
        assert cell_sums(grid(coordinator))[1] == opened  # the stored counts, until the worker counts
        result = refresh_job.run(app)
    assert result is not None and result.written > 0
    assert session.get(MapGridState, 1).refreshed_at is not None
    assert cell_sums(grid(coordinator))[1] == opened + 1


# --- boundaries by URL, simplified for the zoom ---

def test_boundaries_by_level_zoom_and_box_with_etag_and_cache(coordinator, session):
    url = "/map/data/boundaries/kecamatan.geojson?bbox=" + CITY
    fine = coordinator.get(url + "&zoom=14")
    assert fine.status_code == 200 and "max-age" in fine.headers["Cache-Control"]
    features = fine.get_json()["features"]
    assert {f["properties"]["nama"] for f in features} == set(session.scalars(select(Kecamatan.nama)))
    coarse = coordinator.get(url + "&zoom=8")
    assert len(coarse.data) < len(fine.data)  # simplified for the zoom
    assert coordinator.get(url + "&zoom=8", headers={"If-None-Match": coarse.headers["ETag"]}).status_code == 304
    assert coordinator.get(url + "&zoom=5").get_json()["features"] == []  # too far out for kecamatan
    assert coordinator.get("/map/data/boundaries/kota.geojson?zoom=5").get_json()["features"]
    elsewhere = coordinator.get("/map/data/boundaries/kelurahan.geojson?zoom=14&bbox=120,0,121,1")
    assert elsewhere.get_json()["features"] == []
    assert coordinator.get("/map/data/boundaries/provinsi.geojson").status_code == 404
    assert coordinator.get(url + "&zoom=99", headers={"Accept": "application/json"}).status_code == 422


def test_boundary_etag_changes_when_an_area_changes(coordinator, session):
    url = "/map/data/boundaries/kecamatan.geojson?zoom=12"
    tag = coordinator.get(url).headers["ETag"]
    kec = session.scalars(select(Kecamatan).order_by(Kecamatan.id)).first()
    ring = [[kec.min_lon, kec.min_lat], [kec.max_lon, kec.min_lat], [kec.max_lon, kec.max_lat],
            [kec.min_lon, kec.max_lat], [kec.min_lon, kec.min_lat]]
    kec.boundary = {"type": "Polygon", "coordinates": [ring]}
    save(session)
    assert kec.boundary_coarse["type"] == "Polygon"  # simplified when it was stored
    changed = coordinator.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    mine = next(f for f in changed.get_json()["features"] if f["properties"]["id"] == kec.id)
    assert len(mine["geometry"]["coordinates"][0]) == 5


# --- the TPS and incidents layers' tags: the map cells their box covers (issue 26) ---

def here_and_far(session) -> tuple[Tps, Tps, str]:
    """A TPS, a box around it, and the TPS farthest from it (in none of the box's map cells)."""
    from logistics.services.data_versions import cells, drawn_in, scoped

    rows = session.scalars(select(Tps).order_by(Tps.id)).all()
    here = rows[0]
    far = max(rows, key=lambda t: max(abs(t.lon - here.lon), abs(t.lat - here.lat)))
    box = f"{here.lon - 0.001},{here.lat - 0.001},{here.lon + 0.001},{here.lat + 0.001}"
    assert not {scoped("tps", "g", c) for c in cells(far.lon, far.lat)} & set(drawn_in("tps", BBox.parse(box)))
    return here, far, box


def poll(client, url: str):
    """The layer as the page has it, and its next poll with that tag."""
    tag = client.get(url).headers["ETag"]
    return lambda: client.get(url, headers={"If-None-Match": tag})


def incident_ids(response) -> set[int]:
    return {f["properties"]["id"] for f in response.get_json()["features"]}


def test_a_change_in_another_kecamatan_leaves_a_poll_of_this_view_304(coordinator, session, actor_for):
    from logistics.models import Delivery
    from logistics.timeutil import utcnow

    here, far, box = here_and_far(session)
    urls = (tps_url(box, 17), tps_url(box, 17, color="meals"), "/map/data/incidents.geojson?bbox=" + box,
            "/map/data/incidents.geojson?bbox=" + CITY)  # the last: the whole city's view, which covers both
    polls = [poll(coordinator, url) for url in urls]
    delivery = session.scalars(select(Delivery).where(Delivery.tps_id == far.id)).first()
    far.status, far.opened_at, far.officers_present = TpsStatus.OPEN, utcnow(), 7
    delivery.quantity_planned += 1
    save(session)
    report_incident(session, actor_for("koordinator"), patient_kind="officer", complaint="pusing", triage="kuning",
                    tps_id=far.id)
    assert [p().status_code for p in polls] == [304, 304, 304, 200]
    # The stored cells' refresh (after those changes) is not in a view's tag when it cannot show them
    # (zoom > TOP_ZOOM: too many TPS are counted live), and is in it when it can.
    from logistics.services.map_grid import refresh

    polls = [poll(coordinator, tps_url(box, TOP_ZOOM + 1)), poll(coordinator, tps_url(box, TOP_ZOOM))]
    assert refresh(session, force=True) is not None
    assert [p().status_code for p in polls] == [304, 200]


def test_a_change_in_view_gives_the_new_data(coordinator, session, actor_for):
    from logistics.models import IncidentStatus, Triage
    from logistics.services.drills import wipe_drill
    from logistics.timeutil import utcnow

    here, far, box = here_and_far(session)
    incidents, tps = "/map/data/incidents.geojson?bbox=" + box, tps_url(box, 17)

    def status_in_view():
        return {f["properties"]["id"]: f["properties"]["status"] for f in changed.get_json()["features"]}

    polled = poll(coordinator, incidents)
    incident = report_incident(session, actor_for("koordinator"), patient_kind="officer", complaint="pingsan",
                               triage="kuning", tps_id=here.id)
    changed = polled()
    assert changed.status_code == 200 and incident.id in incident_ids(changed)  # a new incident

    polled = poll(coordinator, incidents)
    incident.triage = Triage.MERAH
    save(session)
    changed = polled()
    assert changed.status_code == 200
    assert next(f["properties"]["triage"] for f in changed.get_json()["features"]
                if f["properties"]["id"] == incident.id) == "merah"  # its triage changed

    polled = poll(coordinator, incidents)
    incident.status, incident.closed_at = IncidentStatus.CLOSED, utcnow()
    save(session)
    changed = polled()
    assert changed.status_code == 200 and incident.id not in incident_ids(changed)  # closed: off the map

    polled = poll(coordinator, tps)
    here.status, here.opened_at, here.drill = TpsStatus.OPEN, utcnow(), True
    save(session)
    changed = polled()
    assert changed.status_code == 200 and status_in_view()[here.id] == "open"  # its status

    polled = poll(coordinator, tps)
    wipe_drill(session, actor_for("admin"))  # a bulk update: which rows is not known to the flush
    changed = polled()
    assert changed.status_code == 200 and status_in_view()[here.id] == TpsStatus.SETUP.value

    drawn_at_it = report_incident(session, actor_for("koordinator"), patient_kind="officer", complaint="lemas",
                                  triage="hijau", tps_id=here.id)
    polls = poll(coordinator, tps), poll(coordinator, incidents)
    here.lat, here.lon = far.lat, far.lon  # moved out of the box, and the incident drawn at it too
    save(session)
    changed = polls[0]()
    assert changed.status_code == 200 and here.id not in status_in_view()
    changed = polls[1]()
    assert changed.status_code == 200 and drawn_at_it.id not in incident_ids(changed)


def test_a_box_reads_the_finest_cells_it_needs_few_of():
    from logistics.services.data_versions import drawn_in

    kecamatan, kota, nation = (BBox.parse(b) for b in ("106.10,-2.15,106.16,-2.10", "105.9,-2.4,106.6,-1.9",
                                                        "95,-11,141,6"))
    assert drawn_in("tps", kecamatan) == ("tps@*", "tps@g20:2122_-43", "tps@g20:2122_-42", "tps@g20:2123_-43",
                                          "tps@g20:2123_-42")
    assert drawn_in("tps", kota) == ("tps@*", *(f"tps@g2:{x}_{y}" for x in (211, 212, 213) for y in (-5, -4)))
    assert drawn_in("tps", nation) == drawn_in("tps", None) == ("tps",)
