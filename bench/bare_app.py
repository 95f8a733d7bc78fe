"""The baseline for bench/write_path.py: a bare Flask endpoint inserting one row per POST on a
persistent connection per worker (no ORM, no auth, no schema, no audit). SQLite in WAL mode with
synchronous=NORMAL, like the app; or PostgreSQL through psycopg. `gunicorn bench.bare_app:app`
with BARE_DATABASE_URL set (sqlite:///path or postgresql://...)."""
from __future__ import annotations

import os
import time

from flask import Flask, jsonify, request

app = Flask(__name__)
URL = os.environ["BARE_DATABASE_URL"]
_connection = None


def connection():
    global _connection
    if _connection is None:
        if URL.startswith("sqlite:///"):
            import sqlite3

            _connection = sqlite3.connect(URL[len("sqlite:///"):], isolation_level=None, check_same_thread=False)
            _connection.execute("PRAGMA journal_mode=WAL")
            _connection.execute("PRAGMA synchronous=NORMAL")
            _connection.execute("PRAGMA busy_timeout=5000")
            _connection.execute("CREATE TABLE IF NOT EXISTS bare_post (id INTEGER PRIMARY KEY, body TEXT, at REAL)")
        else:
            import psycopg

            _connection = psycopg.connect(URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
            _connection.execute("CREATE TABLE IF NOT EXISTS bare_post (id SERIAL PRIMARY KEY, body TEXT, at FLOAT8)")
    return _connection


@app.post("/bare")
def bare():
    body = request.get_data(as_text=True)
    row_id = connection().execute("INSERT INTO bare_post (body, at) VALUES (%s, %s) RETURNING id"
                                  if not URL.startswith("sqlite") else
                                  "INSERT INTO bare_post (body, at) VALUES (?, ?) RETURNING id",
                                  (body, time.time())).fetchone()[0]
    return jsonify(id=row_id), 201
