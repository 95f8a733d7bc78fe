"""Login cards as a worker job: with a live worker, provisioning a kecamatan (or re-printing) is queued, the
page shows its progress and disables the card buttons, the worker makes the PINs with progress, writes the
accounts, and leaves the PDF sealed for one download."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from admin import card_jobs
from logistics.models import BackgroundJob, Kecamatan, User
from siaga.worker import JOBS, jobs as _registers_jobs, run_job  # noqa: F401
from siaga.worker.heartbeat import beat
from tests.field_client import csrf_from, log_in_as
from tests.test_field_accounts import read_cards


def kecamatan(session, name):
    return session.scalar(select(Kecamatan).where(Kecamatan.nama == name))


def post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_from(client, "/admin/pengguna"), **data})


def test_provisioning_runs_in_the_worker_with_progress_and_one_download(client, session):
    beat(session)  # a live worker
    log_in_as(client, session, "admin")
    bukit = kecamatan(session, "Bukit Intan")
    before = session.scalar(select(func.count()).select_from(User))
    response = post(client, "/admin/pengguna/provisi", {"kecamatan": bukit.id, "roles": ["courier", "medic"]})
    assert response.status_code == 303 and "/admin/pengguna/tugas/" in response.headers["Location"]
    job = session.scalar(select(BackgroundJob).order_by(BackgroundJob.id.desc()))
    assert job.status == "queued" and session.scalar(select(func.count()).select_from(User)) == before
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="job-progress"' in page and 'value="0"' in page
    users_page = client.get("/admin/pengguna").get_data(as_text=True)
    assert 'id="card-job-running"' in users_page
    assert re.search(r'<button class="button" type="submit" disabled>', users_page)
    # Asking again while it runs gives the same job.
    again = post(client, "/admin/pengguna/provisi", {"kecamatan": bukit.id, "roles": ["courier", "medic"]})
    assert again.headers["Location"] == response.headers["Location"]

    seen = []
    status_url = f"/admin/pengguna/tugas/{job.id}.json"
    with client.application.app_context():  # as the worker runs its jobs
        ran = card_jobs.run_next(session, on_progress=lambda j: seen.append(client.get(status_url).get_json()))
    assert ran == job.id

    assert seen and seen[0]["status"] == "running" and seen[0]["done"] == 1 and seen[0]["total"] > 8
    assert [s["done"] for s in seen] == list(range(1, seen[0]["total"] + 1))
    state = client.get(status_url).get_json()
    assert state["status"] == "done" and state["download"]
    made = session.scalars(select(User).where(User.role.in_(["courier", "medic"]), User.pin_issued_at.is_not(None))).all()
    assert len(made) == state["total"]
    assert not session.get(BackgroundJob, job.id).result.startswith(b"%PDF")  # sealed
    pdf = client.get(state["download"])
    assert pdf.mimetype == "application/pdf" and pdf.headers["Cache-Control"] == "no-store"
    _pages, text, codes = read_cards(pdf.data)
    assert text.count("PIN sekali pakai") == len(made) == len(codes)
    assert client.get(state["download"]).status_code == 303  # one download: then it is gone
    assert session.get(BackgroundJob, job.id).result is None
    assert 'id="card-job-running"' not in client.get("/admin/pengguna").get_data(as_text=True)


def test_the_worker_runs_a_reprint_job_and_only_its_requester_sees_it(client, session):
    beat(session)
    log_in_as(client, session, "admin")
    gerunggang = kecamatan(session, "Gerunggang")
    response = post(client, "/admin/pengguna/cetak-ulang", {"kecamatan": gerunggang.id, "roles": ["courier"]})
    assert response.status_code == 303
    (found,) = [j for j in JOBS if j.name == "run_card_jobs"]
    run_job(client.application, found)
    job = session.scalar(select(BackgroundJob).order_by(BackgroundJob.id.desc()))
    session.refresh(job)
    assert job.status == "done" and job.kind == "cards.reprint" and job.total > 0
    log_in_as(client, session, "camat-gerunggang")
    assert client.get(f"/admin/pengguna/tugas/{job.id}").status_code == 404


def test_without_a_worker_the_request_prints_the_cards_itself(client, session):
    log_in_as(client, session, "admin")
    response = post(client, "/admin/pengguna/provisi", {"kecamatan": kecamatan(session, "Bukit Intan").id,
                                                        "roles": ["medic"]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
