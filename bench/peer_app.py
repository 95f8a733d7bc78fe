"""The peer for bench/write_path.py: the same change written the way most Flask-SQLAlchemy apps write it.

Also `POST /tps/<id>/officers/guarded`: the same, plus the app's guarantees written the same plain way (no
hooks, no services): the bearer token looked up (token and user), the Idempotency-Key's record added with
the answer, the map's data versions bumped, all in the one commit. What the app's extra statements cost
when written idiomatically (docs/PERFORMANCE.md).

`POST /tps/<id>/officers {"count": n}`: load the row by primary key (`db.session.get`), change it, add an
audit row (`db.session.add(Audit(...))`), `db.session.commit()`, answer the record as JSON. That is
TechEmpower's Flask "updates" test (load by key, change, commit) plus the audit row. No token, no idempotency
key, no row lock, no permission, no rate limit, no hooks: what a plain Flask app pays for one audited
update. It serves the app's own database (the demo's `tps` table; its audit rows go to a `peer_audit` table of
the same shape as the app's `audit_entry`, made here if missing).

    PEER_DATABASE_URL=sqlite:////tmp/x.db gunicorn -c gunicorn.conf.py -w 2 bench.peer_app:app
"""
from __future__ import annotations

import hashlib
import json
import os
import random
from datetime import datetime, timezone

from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

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


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id = db.Column(db.Integer, primary_key=True)
    scopes = db.Column(db.JSON)
    token_hash = db.Column(db.String(64), unique=True)
    user_id = db.Column(db.Integer, db.ForeignKey("app_user.id"))
    revoked_at = db.Column(db.DateTime(timezone=True))
    expires_at = db.Column(db.DateTime(timezone=True))
    user = db.relationship("User", lazy="joined")


class User(db.Model):
    __tablename__ = "app_user"

    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80))
    role = db.Column(db.String(32))
    tps_id = db.Column(db.Integer)
    active = db.Column(db.Boolean)


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_record"

    id = db.Column(db.Integer, primary_key=True)
    scope = db.Column(db.String(80))
    key = db.Column(db.String(100))
    fingerprint = db.Column(db.String(64))
    status_code = db.Column(db.Integer)
    response_body = db.Column(db.Text)
    response_headers = db.Column(db.JSON)
    created_at = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))


BUMP = text("INSERT INTO data_version (name, shard, version) VALUES (:a, :shard, 1), (:b, 0, 1) "
            "ON CONFLICT (name, shard) DO UPDATE SET version = data_version.version + 1")


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


@app.post("/tps/<int:tps_id>/officers/guarded")
def post_officers_guarded(tps_id):
    secret = request.headers.get("Authorization", "").removeprefix("Bearer ")
    token = db.session.execute(db.select(ApiToken).filter_by(
        token_hash=hashlib.sha256(secret.encode()).hexdigest())).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active or "write:tps-status" not in token.scopes:
        abort(401)
    data = request.get_json()
    count = data.get("count")
    if not isinstance(count, int) or not 0 <= count <= 50:
        abort(400)
    if token.user.tps_id != tps_id:
        abort(403)
    tps = db.session.get(Tps, tps_id)
    if tps is None:
        abort(404)
    before = {"officers_present": tps.officers_present}
    now = datetime.now(timezone.utc)
    tps.officers_present = count
    tps.officers_reported_at = now
    tps.updated_at = now
    db.session.add(Audit(actor_label=token.user.username, action="tps.officers_present", entity_type="tps",
                         entity_id=tps.id, before=before, after={"officers_present": count}))
    body = json.dumps(tps.to_dict())
    db.session.add(IdempotencyRecord(scope=f"token:{token.id}", key=request.headers["Idempotency-Key"],
                                     fingerprint=hashlib.sha256(request.get_data()).hexdigest(), status_code=200,
                                     response_body=body, response_headers={"Content-Type": "application/json"}))
    db.session.execute(BUMP, {"a": "tps", "shard": random.randrange(8), "b": f"tps@t{tps_id}"})
    db.session.commit()
    return app.response_class(body, mimetype="application/json")
