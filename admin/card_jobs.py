"""Login cards made by the worker: provisioning a kecamatan's accounts, or re-printing their cards, as a
`background_job` the requester watches with a progress bar (/admin/pengguna/tugas/<id>) and downloads.

Why a job: one scrypt hash per PIN (~0.1 s) made a large kecamatan's request outlast gunicorn's timeout, with
no progress and the button still active. The slow part — making the PINs and their hashes — runs first, with
the job's progress committed after each (nothing else is open then, so readers on any server see it, SQLite
included); then the accounts are written in one transaction with the hashes made (field_accounts'
`pins`), and the PDF is rendered and stored sealed (siaga/sealed.py): the PINs never sit readable in the
database. The result is wiped on download, or RESULT_KEEP after it was made.

Without a live worker (down; the e2e live server) the request renders the PDF itself, as before.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from admin.cards import cards_pdf
from logistics.actor import Actor
from logistics.errors import DomainError
from logistics.models import BackgroundJob, User
from logistics.services import field_accounts
from logistics.timeutil import utcnow
from siaga.sealed import seal, unseal

KINDS = ("cards.provision", "cards.reprint")
ACTIVE = ("queued", "running")
RESULT_KEEP = timedelta(minutes=30)
# A job `running` this long without finishing: its worker died; it is failed (asked again from the page).
STALE_AFTER = timedelta(minutes=15)


def purpose(job_id: int) -> str:
    return f"cards-job:{job_id}"


def active_job(session: Session, kecamatan_id: int) -> BackgroundJob | None:
    """A card job of the kecamatan still queued or running (its page disables the buttons)."""
    return session.scalar(select(BackgroundJob).where(BackgroundJob.kind.in_(KINDS), BackgroundJob.kecamatan_id ==
                                                      kecamatan_id, BackgroundJob.status.in_(ACTIVE))
                          .order_by(BackgroundJob.id).limit(1))


def enqueue(session: Session, actor: Actor, kind: str, kecamatan_id: int, roles: list[str],
            base_url: str) -> BackgroundJob:
    """The job, queued (one per kecamatan at a time: a second ask gets the running one). Commits."""
    assert kind in KINDS
    running = active_job(session, kecamatan_id)
    if running is not None:
        return running
    # Refused now, not in the worker: the same permission checks the service makes, on no change.
    field_accounts.cards_needed(session, actor, kecamatan_id, roles, reprinting=kind == "cards.reprint")
    job = BackgroundJob(kind=kind, requested_by=actor.user_id, kecamatan_id=kecamatan_id,
                        params={"roles": list(roles), "base_url": base_url}, status="queued", total=0, done=0,
                        created_at=utcnow())
    session.add(job)
    session.commit()
    return job


def run_next(session: Session, on_progress: Callable[[BackgroundJob], None] | None = None) -> int | None:
    """The worker's step: claim the oldest queued card job and run it; its id, or None."""
    _sweep(session)
    job_id = session.scalar(select(BackgroundJob.id).where(BackgroundJob.kind.in_(KINDS),
                                                           BackgroundJob.status == "queued")
                            .order_by(BackgroundJob.id).limit(1))
    if job_id is None:
        session.rollback()
        return None
    taken = session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id, BackgroundJob.status == "queued")
                            .values(status="running", started_at=utcnow())).rowcount
    session.commit()
    if taken == 1:  # of two workers started by mistake, one runs it
        run(session, job_id, on_progress)
    return job_id


def run(session: Session, job_id: int, on_progress: Callable[[BackgroundJob], None] | None = None) -> None:
    job = session.get(BackgroundJob, job_id)
    user = session.get(User, job.requested_by)
    actor = Actor.from_user(user)
    roles, reprinting = job.params["roles"], job.kind == "cards.reprint"
    try:
        job.total = field_accounts.cards_needed(session, actor, job.kecamatan_id, roles, reprinting=reprinting)
        session.commit()
        pins = []
        for n in range(job.total):  # the slow part, nothing open meanwhile but this progress
            pins.append(field_accounts.pin_and_hash())
            job.done = n + 1
            session.commit()
            if on_progress:
                on_progress(job)
        if reprinting:
            cards = field_accounts.reprint(session, actor, job.kecamatan_id, roles, pins=iter(pins))
        else:
            _made, cards = field_accounts.provision(session, actor, job.kecamatan_id, roles, pins=iter(pins))
        job = session.get(BackgroundJob, job_id)
        if cards:
            with current_app.test_request_context(base_url=job.params["base_url"]):
                pdf = render(cards)
            job.result = seal(pdf, purpose(job.id))
            job.result_name = f"kartu-masuk{'-ulang' if reprinting else ''}-{job.kecamatan_id}.pdf"
        job.status, job.done, job.total, job.finished_at = "done", len(cards), len(cards), utcnow()
        session.commit()
    except DomainError as exc:
        session.rollback()
        _fail(session, job_id, str(exc.message))
    except Exception:
        session.rollback()
        _fail(session, job_id, "error")
        raise


def render(cards) -> bytes:
    from flask import url_for

    return cards_pdf(cards, lambda username: url_for("auth.login", u=username, _external=True))


def take_result(session: Session, job: BackgroundJob) -> bytes | None:
    """The PDF, once: wiped from the database as it is handed over."""
    if job.result is None:
        return None
    pdf = unseal(job.result, purpose(job.id))
    job.result = None
    session.commit()
    return pdf


def _fail(session: Session, job_id: int, message: str) -> None:
    session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(
        status="failed", message=message[:200], finished_at=utcnow()))
    session.commit()


def _sweep(session: Session) -> None:
    """Results not downloaded in time are wiped; a job its worker died in is failed."""
    now = utcnow()
    session.execute(update(BackgroundJob).where(BackgroundJob.result.is_not(None),
                                                BackgroundJob.finished_at < now - RESULT_KEEP).values(result=None))
    session.execute(update(BackgroundJob).where(BackgroundJob.status == "running",
                                                BackgroundJob.started_at < now - STALE_AFTER)
                    .values(status="failed", message="worker stopped", finished_at=now))
    session.commit()
