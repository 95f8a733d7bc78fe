"""The peer for bench/read_path.py: the two reads written as a typical Flask-SQLAlchemy app would write them,
on the app's own database (PEER_DATABASE_URL, the same scratch database the app serves).

  * GET /tps/<id>: one TPS by primary key through the ORM (`db.get_or_404`, its kelurahan and kecamatan
    joined eagerly, as a careful app does), rendered by a Jinja template of the same shape as the officer's
    page (status, officers, the day's timeline, the forms of the next steps, a correction form);
  * GET /tps.geojson?bbox=minlon,minlat,maxlon,maxlat: the TPS in the box through the ORM with their kelurahan,
    nearest station and its distance, `jsonify`d with the same fields as the app's map layer.

No login, no CSRF, no security headers, no language, no ETag: what the app does beyond these is the price of
its guarantees (bench/read_path.py also measures the app's floor). `gunicorn bench.peer_read_app:app`.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from flask import Flask, abort, jsonify, render_template, request, url_for
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text
from sqlalchemy.orm import joinedload

app = Flask(__name__, template_folder="peer_templates")
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["PEER_DATABASE_URL"].replace(
    "postgresql://", "postgresql+psycopg://", 1)
db = SQLAlchemy(app)

STATUS_LABELS = {"setup": "Persiapan", "open": "Dibuka", "voting_closed": "Pemungutan ditutup",
                 "counted": "Penghitungan selesai", "handed_over": "Kotak diserahkan ke PPS"}
STEPS = [("open", "TPS dibuka", "opened_at"), ("voting_closed", "Pemungutan suara ditutup", "voting_closed_at"),
         ("counted", "Penghitungan selesai", "counted_at"), ("handed_over", "Kotak suara diserahkan ke PPS",
                                                             "handed_over_at")]
ORDER = ["setup"] + [s for s, _t, _f in STEPS]
WIB = timezone(timedelta(hours=7))


class Kecamatan(db.Model):
    __tablename__ = "kecamatan"
    id = db.Column(db.Integer, primary_key=True)
    kota_id = db.Column(db.Integer)
    kode_kemendagri = db.Column(db.String(13))
    nama = db.Column(db.String(120))


class Kelurahan(db.Model):
    __tablename__ = "kelurahan"
    id = db.Column(db.Integer, primary_key=True)
    kecamatan_id = db.Column(db.Integer, db.ForeignKey("kecamatan.id"))
    kode_kemendagri = db.Column(db.String(13))
    nama = db.Column(db.String(120))
    kecamatan = db.relationship(Kecamatan)


class MedicStation(db.Model):
    __tablename__ = "medic_station"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(160))


class TpsCoverage(db.Model):
    __tablename__ = "tps_coverage"
    tps_id = db.Column(db.Integer, db.ForeignKey("tps.id"), primary_key=True)
    medic_station_id = db.Column(db.Integer, db.ForeignKey("medic_station.id"))
    distance_m = db.Column(db.Float)
    station = db.relationship(MedicStation)


class Tps(db.Model):
    __tablename__ = "tps"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(24))
    kelurahan_id = db.Column(db.Integer, db.ForeignKey("kelurahan.id"))
    number = db.Column(db.Integer)
    kind = db.Column(db.String(20))
    address = db.Column(db.String(240))
    lat = db.Column(db.Float)
    lon = db.Column(db.Float)
    dpt = db.Column(db.Integer)
    status = db.Column(db.String(20))
    officers_present = db.Column(db.Integer)
    officers_reported_at = db.Column(db.DateTime(timezone=True))
    election_id = db.Column(db.Integer)
    opened_at = db.Column(db.DateTime(timezone=True))
    voting_closed_at = db.Column(db.DateTime(timezone=True))
    counted_at = db.Column(db.DateTime(timezone=True))
    handed_over_at = db.Column(db.DateTime(timezone=True))
    kelurahan = db.relationship(Kelurahan)
    coverage = db.relationship(TpsCoverage, uselist=False)

    @property
    def label(self) -> str:
        return f"TPS {self.number:03d}"


@app.template_filter("hhmm")
def hhmm(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(WIB).strftime("%H:%M WIB")




@app.get("/tps/<int:tps_id>")
def tps_page(tps_id: int):
    tps = db.get_or_404(Tps, tps_id, options=[joinedload(Tps.kelurahan).joinedload(Kelurahan.kecamatan)])
    rank = ORDER.index(tps.status)
    timeline = [("Petugas hadir", tps.officers_reported_at)] + [(t, getattr(tps, f)) for _s, t, f in STEPS]
    return render_template("tps.html", tps=tps, labels=STATUS_LABELS, timeline=timeline,
                                  next_steps=[(s, t) for s, t, _f in STEPS if ORDER.index(s) > rank],
                                  earlier=ORDER[:rank])


@app.get("/tps.geojson")
def tps_geojson():
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in request.args["bbox"].split(","))
    except (KeyError, ValueError):
        abort(400)
    rows = (db.session.query(Tps).join(Tps.kelurahan)
            .options(joinedload(Tps.kelurahan), joinedload(Tps.coverage).joinedload(TpsCoverage.station))
            .filter(Tps.lon.between(min_lon, max_lon), Tps.lat.between(min_lat, max_lat),
                    # the active election's TPS, as the app shows (the demo also holds a past election's)
                    Tps.election_id == db.session.scalar(text("SELECT id FROM election WHERE active"))).all())
    features = []
    for tps in rows:
        properties = {"id": tps.id, "label": tps.label, "kelurahan": tps.kelurahan.nama, "code": tps.code,
                      "status": tps.status, "status_label": STATUS_LABELS[tps.status],
                      "officers_present": tps.officers_present, "dpt": tps.dpt,
                      "url": url_for("tps_page", tps_id=tps.id)}
        if tps.coverage is not None:
            properties.update(station=tps.coverage.station.name, station_km=round(tps.coverage.distance_m / 1000, 2))
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Point", "coordinates": [round(tps.lon, 6), round(tps.lat, 6)]}})
    return jsonify({"type": "FeatureCollection", "features": features, "aggregate": False})
