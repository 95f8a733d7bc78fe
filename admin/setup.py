"""The admin's setup pages: bring a kota in from its own files (upload, map columns, preview on a map,
confirm), see what it still lacks (readiness), and change the election settings.

The uploaded file waits server-side between the preview and the confirmation: in the instance folder under
a random token kept in the session (never the file in the cookie), removed on confirm or cancel. Each
preview runs the importer as a dry run; the confirmation runs it for real, all or nothing.
"""
from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

from sqlalchemy import select
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for

from logistics.area_list import area_list
from logistics.errors import DomainError, ValidationFailed
from logistics.imports.area_list_pick import set_up_from_list
from logistics.imports import boundary_file, sites_file, tps_file
from logistics.imports.report import ImportReport
from logistics.imports.table import RowError, UnreadableFile, header_lookup, read_header, squash
from logistics.models import Kecamatan
from logistics.permissions import Permission
from logistics.queries.area_readiness import FAR_FROM_STATION_M, readiness, readiness_per_kota
from logistics.services.settings import update_settings
from logistics.settings import FIELDS, settings_for
from siaga.auth import current_actor, kecamatan_scope, requires
from siaga.config import UPLOAD_LIMIT
from logistics.imports.archive import ArchiveTooLarge, check_unpacked_size
from siaga.errors import wants_json
from siaga.extensions import db
from siaga.fields import FormChoice, FormFlag, FormList, FormText
from siaga.forms import FormSchema, with_form
from siaga.i18n import _
from siaga.idempotency import idempotent

bp = Blueprint("admin_setup", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
log = logging.getLogger(__name__)
SESSION_KEY = "setup_upload"
STALE_AFTER_S = 2 * 3600  # a preview left open (a closed browser); a failed upload is removed at once
# The hand-made mapping rides in the session cookie (4 KB): at most this many headers of at most this length.
MAX_MAPPED, MAX_HEADER = 20, 60
# What can be uploaded: the kind, its label, the file types it takes, and its columns (for the picker).
KINDS = {
    "batas": ("Batas wilayah (kelurahan/desa)", (".geojson", ".json", ".gpkg", ".zip", ".csv", ".xlsx"),
              boundary_file.CODE_COLUMNS),
    "tps": ("Daftar TPS", (".csv", ".xlsx", ".txt"), tps_file.COLUMNS),
    "faskes": ("Fasilitas kesehatan", (".csv", ".xlsx", ".txt"), sites_file.KINDS["faskes"].columns),
    "pos": ("Pos kesehatan", (".csv", ".xlsx", ".txt"), sites_file.KINDS["pos"].columns),
    "vendor": ("Vendor katering", (".csv", ".xlsx", ".txt"), sites_file.KINDS["vendor"].columns),
    "kurir": ("Kurir", (".csv", ".xlsx", ".txt"), sites_file.KINDS["kurir"].columns),
    "medis": ("Tenaga kesehatan", (".csv", ".xlsx", ".txt"), sites_file.KINDS["medis"].columns),
}



class PickForm(FormSchema):
    kode = FormText(13, required=True)  # a province or kab/kota code of the national list


class UploadForm(FormSchema):
    jenis = FormChoice(KINDS, required=True)
    kota = FormText(120)
    provinsi = FormText(120)
    perkiraan = FormFlag()  # import with warnings (bad TPS coordinates become approximate positions)


class ColumnsForm(FormSchema):
    kolom = FormList(FormText(400))  # "file header=our column", one per changed picker


# One text input per setting; the service parses and checks each (per-field messages).
SettingsForm = type("SettingsForm", (FormSchema,), {f.key: FormText(40) for f in FIELDS})


def _upload_dir() -> Path:
    """SETUP_UPLOAD_FOLDER, or uploads/ in the instance folder."""
    folder = Path(current_app.config.get("SETUP_UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_uploads() -> None:
    """Uploads never confirmed nor cancelled (a closed browser) are removed after STALE_AFTER_S (2 h)."""
    limit = time.time() - STALE_AFTER_S
    for path in _upload_dir().iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _pending() -> tuple[dict, Path] | None:
    upload = session.get(SESSION_KEY)
    if not isinstance(upload, dict) or upload.get("jenis") not in KINDS:
        return None
    path = _upload_dir() / f"{upload['token']}{upload['suffix']}"
    return (upload, path) if path.is_file() else None


def _discard() -> None:
    pending = _pending()
    if pending:
        pending[1].unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, values) -> None:
    """Boundary files are larger than the app's form limit (siaga.config); runs before the CSRF check reads the form."""
    if endpoint == "admin_setup.upload":
        request.max_content_length = UPLOAD_LIMIT


@bp.get("/wilayah")
@requires(Permission.AREA_SETUP)
def index():
    scope = kecamatan_scope()  # an area admin: their area's readiness; each kab/kota's when it holds several
    per_kota = readiness_per_kota(db.session, scope)
    return render_template("admin/setup.html", kinds=KINDS, state=readiness(db.session, scope),
                           per_kota=per_kota if len(per_kota) > 1 else [],
                           far_km=FAR_FROM_STATION_M // 1000, pending=_pending(), listed=area_list())


@bp.post("/wilayah/pilih")
@requires(Permission.AREA_SETUP)
@idempotent
@with_form(PickForm)
def pick(form: dict):
    """Set up a province or kab/kota picked from the national list: its kecamatan and desa/kelurahan with
    official codes (outlines come with a boundary file later, same codes, filled in place)."""
    report = set_up_from_list(db.session, current_actor(), form["kode"])
    if not report.ok:
        message = str(report.errors[0].message)
        raise ValidationFailed(message, {"kode": message})
    flash(_("Diimpor: {created} baru, {updated} diperbarui, {unchanged} tetap.", created=report.created,
            updated=report.updated, unchanged=report.unchanged))
    return redirect(url_for(".index"), 303)


@bp.post("/wilayah/unggah")
@requires(Permission.AREA_SETUP)
@with_form(UploadForm)
def upload(form: dict):
    kind = form["jenis"]
    label, suffixes, _columns = KINDS[kind]
    sent = request.files.get("berkas")
    if sent is None or not sent.filename:
        raise ValidationFailed(_("Pilih berkas untuk diunggah."), {"berkas": _("Pilih berkas untuk diunggah.")})
    suffix = Path(sent.filename).suffix.lower()
    if suffix not in suffixes:
        message = _("Format berkas ini tidak dipakai untuk {kind}: pakai {suffixes}.", kind=label,
                    suffixes=", ".join(suffixes))
        raise ValidationFailed(message, {"berkas": message})
    _discard()
    _forget_stale_uploads()
    token = secrets.token_urlsafe(16)
    path = _upload_dir() / f"{token}{suffix}"
    try:
        sent.save(path)
        pending = _checked(path, dict(token=token, suffix=suffix, jenis=kind, name=Path(sent.filename).name[:120],
                                      kota=form.get("kota") or "", provinsi=form.get("provinsi") or "", mapping={},
                                      perkiraan=bool(form.get("perkiraan"))))
    except BaseException:
        # Whatever went wrong (a refused file, a dropped connection, a parser's crash), nothing stays behind.
        path.unlink(missing_ok=True)
        raise
    session[SESSION_KEY] = pending
    return redirect(url_for(".preview"), 303)


def _checked(path: Path, pending: dict) -> dict:
    """The upload, once it is known to be a non-empty readable file of its kind that unpacks within the caps."""
    if path.stat().st_size == 0:
        raise ValidationFailed(_("Berkas kosong."), {"berkas": _("Berkas kosong.")})
    try:
        check_unpacked_size(path)
    except ArchiveTooLarge as exc:
        raise ValidationFailed(str(exc), {"berkas": str(exc)}) from None
    report = _run(pending, path, dry_run=True)
    db.session.rollback()
    unreadable = [e.message for e in report.errors if e.column == "-"]
    if unreadable:  # not a file of this kind at all: refuse it here; a readable file with bad rows is previewed
        raise ValidationFailed(unreadable[0], {"berkas": unreadable[0]})
    return pending


def _run(upload: dict, path: Path, dry_run: bool) -> ImportReport:
    """The importer of the upload's kind; a file a parser chokes on is a report with one error, not a 500."""
    kind, mapping, actor = upload["jenis"], upload.get("mapping") or {}, current_actor()
    try:
        if kind == "batas":
            return boundary_file.import_boundaries(db.session, actor, path, kota_nama=upload.get("kota", ""),
                                                   provinsi=upload.get("provinsi", ""), mapping=mapping,
                                                   dry_run=dry_run)
        if kind == "tps":
            return tps_file.import_tps(db.session, actor, path, mapping=mapping, dry_run=dry_run,
                                       approximate_bad_points=bool(upload.get("perkiraan")))
        return sites_file.import_sites(db.session, actor, kind, path, mapping=mapping, dry_run=dry_run)
    except DomainError:
        raise
    except Exception:  # GDAL, openpyxl and csv raise many kinds for a hostile file
        log.exception("import of %s (%s) failed", upload.get("name"), kind)
        db.session.rollback()
        return ImportReport(dry_run=dry_run, errors=[RowError(1, "-", _("Berkas tidak bisa dibaca."))])


def _headers(upload: dict, path: Path) -> list[tuple[str, str]]:
    """(file header, the column it is read as now, '' if none) for the column picker."""
    columns = KINDS[upload["jenis"]][2]
    try:
        if upload["jenis"] == "batas":
            headers = boundary_file.headers(path)
        else:
            headers = read_header(path)
    except (UnreadableFile, OSError, ValueError):
        return []
    except Exception:  # the same hostile files as in _run
        log.exception("header of %s unreadable", upload.get("name"))
        return []
    lookup = header_lookup(columns, upload.get("mapping") or {})
    return [(h, lookup.get(squash(h), "")) for h in headers if h][:80]


@bp.get("/wilayah/pratinjau")
@requires(Permission.AREA_SETUP)
def preview():
    pending = _pending()
    if pending is None:
        flash(_("Tidak ada unggahan yang menunggu."))
        return redirect(url_for(".index"))
    upload, path = pending
    report = _run(upload, path, dry_run=True)
    db.session.rollback()  # a dry run writes nothing; end its read transaction
    # The map's outlines: the file's own kelurahan, or the stored kecamatan the rows fall in.
    outlines = report.outlines or [k.boundary for k in db.session.scalars(select(Kecamatan))]
    return render_template("admin/preview.html", upload=upload, label=KINDS[upload["jenis"]][0], report=report,
                           headers=_headers(upload, path), columns=list(KINDS[upload["jenis"]][2]),
                           preview={"points": report.points[:5000], "outlines": outlines})


@bp.post("/wilayah/kolom")
@requires(Permission.AREA_SETUP)
@with_form(ColumnsForm)
def columns(form: dict):
    pending = _pending()
    if pending is None:
        abort(404)
    upload, path = pending
    known = KINDS[upload["jenis"]][2]
    in_file = {h for h, _now in _headers(upload, path) if len(h) <= MAX_HEADER}
    mapping = {}
    for pair in form.get("kolom", []):
        header, _sep, column = pair.rpartition("=")
        if header in in_file and column in known and len(mapping) < MAX_MAPPED:  # the file's own headers only
            mapping[header] = column
    session[SESSION_KEY] = {**upload, "mapping": mapping}
    return redirect(url_for(".preview"), 303)


@bp.post("/wilayah/simpan")
@requires(Permission.AREA_SETUP)
@idempotent
@with_form(FormSchema)
def confirm(form: dict):
    pending = _pending()
    if pending is None:
        flash(_("Tidak ada unggahan yang menunggu."))
        return redirect(url_for(".index"), 303)
    upload, path = pending
    report = _run(upload, path, dry_run=False)
    if not report.ok:
        flash(_("Tidak ada yang disimpan: perbaiki berkas lalu unggah lagi."))
        return redirect(url_for(".preview"), 303)
    _discard()
    flash(_("Diimpor: {created} baru, {updated} diperbarui, {unchanged} tetap.", created=report.created,
            updated=report.updated, unchanged=report.unchanged))
    return redirect(url_for(".index"), 303)


@bp.post("/wilayah/batal")
@requires(Permission.AREA_SETUP)
@with_form(FormSchema)
def cancel(form: dict):
    _discard()
    flash(_("Unggahan dibatalkan."))
    return redirect(url_for(".index"), 303)


@bp.route("/pengaturan", methods=["GET", "POST"])
@requires(Permission.AREA_SETUP)
@idempotent
@with_form(SettingsForm, inline_errors=True)
def settings(form: dict | None, form_errors: dict):
    """A refused value is shown next to its field, with what the admin typed kept in every field."""
    if form_errors and wants_json():
        raise ValidationFailed(_("Periksa isian."), form_errors)
    errors = form_errors
    typed = {k: v for k, v in (form or {}).items() if v}  # an empty field keeps its setting
    if form is not None:
        try:
            changed = update_settings(db.session, current_actor(), typed)
        except ValidationFailed as exc:
            if wants_json():
                raise  # a program gets the one error shape, as from every other form
            errors = exc.fields or {"-": exc.message}
        else:
            flash(_("Pengaturan disimpan ({n} diubah).", n=changed))
            return redirect(url_for(".settings"), 303)
    current = settings_for(db.session)
    fields = [(f, typed.get(f.key, f.get(current))) for f in FIELDS]
    return render_template("admin/settings.html", fields=fields, errors=errors), (422 if errors else 200)
