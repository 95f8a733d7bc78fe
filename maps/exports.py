"""/dashboard/export/<subject>.<csv|xlsx>: TPS status, deliveries, incidents; filters and scope applied."""
from __future__ import annotations

from flask import Response, abort, stream_with_context

from logistics.errors import ValidationFailed
from logistics.permissions import Permission
from logistics.queries.exports import ROWS, STATUS_ENUMS, SUBJECTS
from maps import bp
from maps.dashboard import DashboardQuery
from siaga.auth import chosen_kecamatan_ids
from maps.spreadsheet import csv_chunks, xlsx_bytes
from siaga.auth import requires
from siaga.extensions import db
from siaga.forms import with_query
from siaga.i18n import _

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/dashboard/export/<subject>.<fmt>")
@requires(Permission.FIGURES_VIEW)
@with_query(DashboardQuery)
def export(subject: str, fmt: str, query: dict):
    if subject not in SUBJECTS or fmt not in ("csv", "xlsx"):
        abort(404)
    status = query.get("status")
    if status is not None:
        try:
            status = STATUS_ENUMS[subject](status)
        except ValueError:
            raise ValidationFailed(_("Status tidak dikenal."), {"status": _("Status tidak dikenal.")})
    header, rows = ROWS[subject](db.session, chosen_kecamatan_ids(), status)
    filename = f"siaga-{subject}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(header, rows)), mimetype="text/csv",
                        headers=disposition | {"Content-Type": "text/csv; charset=utf-8"})
    return Response(xlsx_bytes(subject, header, rows), mimetype=XLSX_MIME, headers=disposition)
