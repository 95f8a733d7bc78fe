"""The peer for bench/write_path.py: the same change written the way most Flask-SQLAlchemy apps write it.

`POST /tps/<id>/officers {"count": n}`: load the row by primary key (`db.session.get`), change it, add an
audit row (`db.session.add(Audit(...))`), `db.session.commit()`, answer the record as JSON. That is
TechEmpower's Flask "updates" test (load by key, change, commit) plus the audit row. No token, no idempotency
key, no row lock, no permission, no rate limit, no hooks: what a plain Flask app pays for one audited
update. It serves the app's own database (the demo's `tps` table; its audit rows go to a `peer_audit` table of
the same shape as the app's `audit_entry`, made here if missing).

    PEER_DATABASE_URL=sqlite:////tmp/x.db gunicorn -c gunicorn.conf.py -w 2 bench.peer_app:app
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["PEER_DATABASE_URL"].replace(
    "postgresql://", "postgresql+psycopg://", 1)
db = SQLAlchemy(app)


class Tps(db.Model):
    __tablename__ = "tps"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(24), unique=True)
    kelurahan_id = db.Column(db.Integer)
    number = db.Column(db.Integer)
    kind = db.Column(db.String(16))
    special_location = db.Column(db.String(160))
    address = db.Column(db.String(240))
    lat = db.Column(db.Float)
    lon = db.Column(db.Float)
    position_synthetic = db.Column(db.Boolean)
    position_approximate = db.Column(db.Boolean)
    dpt = db.Column(db.Integer)
    status = db.Column(db.String(16))
    officers_present = db.Column(db.Integer)
    officers_reported_at = db.Column(db.DateTime(timezone=True))
    opened_at = db.Column(db.DateTime(timezone=True))
    voting_closed_at = db.Column(db.DateTime(timezone=True))
    counted_at = db.Column(db.DateTime(timezone=True))
    handed_over_at = db.Column(db.DateTime(timezone=True))
    drill = db.Column(db.Boolean)
    updated_at = db.Column(db.DateTime(timezone=True))

    def to_dict(self):
        return {c.name: _json(getattr(self, c.name)) for c in self.__table__.columns}


class Audit(db.Model):
    __tablename__ = "peer_audit"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(timezone.utc), index=True)
    actor_label = db.Column(db.String(80))
    action = db.Column(db.String(60))
    entity_type = db.Column(db.String(40))
    entity_id = db.Column(db.Integer)
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)


def _json(value):
    return value.isoformat() if isinstance(value, datetime) else value


with app.app_context():
    Audit.__table__.create(db.engine, checkfirst=True)


@app.post("/tps/<int:tps_id>/officers")
def post_officers(tps_id):
    data = request.get_json()
    count = data.get("count")
    if not isinstance(count, int) or not 0 <= count <= 50:
        abort(400)
    tps = db.session.get(Tps, tps_id)
    if tps is None:
        abort(404)
    before = {"officers_present": tps.officers_present}
    now = datetime.now(timezone.utc)
    tps.officers_present = count
    tps.officers_reported_at = now
    tps.updated_at = now
    db.session.add(Audit(actor_label="petugas", action="tps.officers_present", entity_type="tps", entity_id=tps.id,
                         before=before, after={"officers_present": count}))
    db.session.commit()
    return jsonify(tps.to_dict())
