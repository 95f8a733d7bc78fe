"""Background jobs a person asked for and waits on (today: printing login cards), run by the worker
(the process holding the lead, siaga/worker/lead.py).

The web request writes a `queued` row and answers at once; the worker (siaga/worker/jobs.py, run_card_jobs)
claims it (`running`), writes its progress (`done` of `total`) as it goes, and leaves the result (the cards
PDF, sealed with the app's secret key — siaga/sealed.py — so the PINs it holds are never readable in the
database alone) for the requester to download; the result is wiped after download or RESULT_KEEP.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models.base import Base, UTCDateTime


class BackgroundJob(Base):
    __tablename__ = "background_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "cards.provision" | "cards.reprint"
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kecamatan_id: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  # queued | running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_name: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_background_job_status_id", "status", "id"),)
