"""The admin's setup pages over HTTP: upload -> preview (a dry run) -> map columns -> confirm; bad, huge and
garbage files are a 4xx with a message; the readiness summary; the election settings form."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from logistics.models import AuditEntry, ElectionSetting, Tps, Vendor
from tests.field_client import csrf_from, log_in_as

SETUP = Path(__file__).resolve().parents[1] / "examples" / "setup"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def upload(client, kind: str, content: bytes, name: str, json: bool = False, **extra):
    data = {"csrf_token": csrf_from(client, "/admin/wilayah"), "jenis": kind,
            "berkas": (io.BytesIO(content), name), **extra}
    return client.post("/admin/wilayah/unggah", data=data, content_type="multipart/form-data",
                       headers={"Accept": "application/json"} if json else {})


def post(client, url: str, data: dict | None = None):
    return client.post(url, data={"csrf_token": csrf_from(client, "/admin/wilayah"), **(data or {})})


@pytest.fixture()
def admin(app, client, session, tmp_path):
    app.config["SETUP_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    log_in_as(client, session, "admin")
    yield client
    app.config.pop("SETUP_UPLOAD_FOLDER")


def uploads_in(app) -> list[Path]:
    folder = Path(app.config["SETUP_UPLOAD_FOLDER"])
    return sorted(folder.glob("*")) if folder.exists() else []


def test_readiness_summary_of_the_demo(admin):
    page = admin.get("/admin/wilayah").get_data(as_text=True)
    assert "Kesiapan wilayah" in page and "Kota Pangkal Pinang" in page
    assert re.search(r"Kecamatan tanpa pos kesehatan: <strong>0</strong>", page)
    assert re.search(r"Kelurahan tanpa TPS: <strong>0</strong>", page)


def test_a_coordinator_may_not_set_up_an_area(client, session):
    log_in_as(client, session, "koordinator")
    assert client.get("/admin/wilayah").status_code == 403
    assert client.get("/admin/pengaturan").status_code == 403


def test_upload_preview_confirm_a_vendor_list(admin, session, app):
    before = count(session, Vendor), count(session, AuditEntry)
    response = upload(admin, "vendor", (SETUP / "vendor_pangkalpinang.csv").read_bytes(), "vendor.csv")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/wilayah/pratinjau")
    stored = uploads_in(app)
    assert len(stored) == 1 and stored[0].suffix == ".csv"
    with admin.session_transaction() as s:
        assert "vendor_pangkalpinang" not in str(dict(s)) and s["setup_upload"]["name"] == "vendor.csv"

    page = admin.get("/admin/wilayah/pratinjau").get_data(as_text=True)
    assert "3 baris: 3 akan dibuat" in page and 'id="per-kecamatan"' in page and "Gerunggang" in page
    assert '"label": "Katering Melati Bukit Intan"' in page or "Katering Melati Bukit Intan" in page
    assert (count(session, Vendor), count(session, AuditEntry)) == before  # the preview is a dry run

    done = post(admin, "/admin/wilayah/simpan")
    assert done.status_code == 303
    assert count(session, Vendor) == before[0] + 3 and uploads_in(app) == []
    assert "Diimpor: 3 baru" in admin.get("/admin/wilayah").get_data(as_text=True)


def test_rows_with_errors_are_shown_and_cannot_be_saved(admin, session, app):
    upload(admin, "tps", (SETUP / "tps_sirekap_pangkalpinang.csv").read_bytes(), "sirekap.csv")
    page = admin.get("/admin/wilayah/pratinjau").get_data(as_text=True)
    assert 'id="errors"' in page and "m di luar Kel. Bacang" in page and "titik yang sama dengan baris 6" in page
    assert re.search(r'id="confirm"\s+disabled', page)
    before = count(session, AuditEntry)
    response = post(admin, "/admin/wilayah/simpan")
    assert response.status_code == 303 and response.headers["Location"].endswith("/pratinjau")
    assert count(session, AuditEntry) == before
    post(admin, "/admin/wilayah/batal")
    assert uploads_in(app) == []


def test_column_picker_names_an_unknown_column(admin, session):
    content = b"KD,URUT\n1971011004,44\n"
    upload(admin, "tps", content, "tps.csv")
    page = admin.get("/admin/wilayah/pratinjau").get_data(as_text=True)
    assert "kolom tidak ada di baris judul" in page and 'name="kolom"' in page
    post(admin, "/admin/wilayah/kolom", {"kolom": ["KD=kode_kelurahan", "URUT=no_tps", "URUT=not_a_column"]})
    page = admin.get("/admin/wilayah/pratinjau").get_data(as_text=True)
    assert "1 baris: 1 akan dibuat" in page
    assert post(admin, "/admin/wilayah/simpan").status_code == 303
    tps = session.scalar(select(Tps).where(Tps.code == "19.71.01.1004-044"))
    assert tps is not None and tps.position_approximate and tps.dpt is None


def test_a_boundary_file_through_the_page(admin, session, tmp_path):
    text = (SETUP / "pangkalpinang_kelurahan_utm48s.geojson").read_text()
    text = text.replace('"KODE_DESA":"1971', '"KODE_DESA":"1996')
    text = text.replace("KOTA PANGKAL PINANG", "KOTA CONTOH")
    upload(admin, "batas", text.encode(), "batas.geojson")
    page = admin.get("/admin/wilayah/pratinjau").get_data(as_text=True)
    assert "42 baris: 50 akan dibuat" in page and "EPSG:32748" in page
    assert post(admin, "/admin/wilayah/simpan").status_code == 303
    assert "Kota Contoh" in admin.get("/admin/wilayah").get_data(as_text=True)


@pytest.mark.parametrize("kind, content, name", [
    ("tps", b"\x00\x01\x02garbage", "tps.csv"),
    ("tps", b"PK\x03\x04 not really a zip", "tps.xlsx"),
    ("tps", b"kode_desa,no_tps\n", "tps.csv"),  # a header and no rows
    ("batas", b"{not json", "batas.geojson"),
    ("batas", b"PK\x03\x04 broken", "batas.zip"),
    ("batas", b"\x89PNG\r\n", "batas.gpkg"),
    ("batas", b'{"type": "FeatureCollection", "features": []}', "batas.geojson"),
    ("tps", b"a,b\n1,2\n", "tps.pdf"),
    ("pos", b"", "pos.csv"),
])
def test_bad_and_garbage_files_are_a_4xx_with_a_message(admin, app, kind, content, name):
    response = upload(admin, kind, content, name, json=True)
    assert 400 <= response.status_code < 500, response.status_code
    assert response.get_json()["error"]["fields"]["berkas"]  # the message, by the file's field
    assert uploads_in(app) == []
    page = upload(admin, kind, content, name)  # a browser gets a page saying the same
    assert page.status_code == response.status_code and response.get_json()["error"]["fields"]["berkas"][:20] in \
        page.get_data(as_text=True).replace("&#39;", "'")


def test_a_huge_file_is_a_413_that_states_the_real_limit(admin, app):
    response = upload(admin, "batas", b"x" * (26 * 1024 * 1024), "batas.geojson")
    assert response.status_code == 413 and uploads_in(app) == []
    assert "paling banyak 25 MB" in response.get_data(as_text=True)
    form = admin.post("/login", data={"username": "x" * (2 * 1024 * 1024)})  # a form's limit is its own
    assert form.status_code == 413 and "paling banyak 1 MB" in form.get_data(as_text=True)


def zip_of_zeros(member: str, size: int) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(member, "w", force_zip64=True) as inner:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                inner.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("kind, member, name", [("batas", "batas.shp", "batas.zip"),
                                                ("tps", "xl/worksheets/sheet1.xml", "tps.xlsx")])
def test_a_zip_or_xlsx_bomb_is_refused_before_it_is_unpacked(admin, app, kind, member, name):
    """A few hundred KB that unpack to 300 MB (issue 24, finding 8): a 4xx saying so, no worker tied up, no file left."""
    bomb = zip_of_zeros(member, 300 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    response = upload(admin, kind, bomb, name, json=True)
    assert response.status_code == 422
    assert "terlalu besar setelah dibuka" in response.get_json()["error"]["fields"]["berkas"]
    assert uploads_in(app) == []


def test_rows_past_the_cap_are_a_4xx(admin, app, monkeypatch):
    from logistics.imports import table

    monkeypatch.setattr(table, "MAX_ROWS", 3)
    rows = "".join(f"Vendor {i},Jl. {i}\n" for i in range(5))
    response = upload(admin, "vendor", ("nama,alamat\n" + rows).encode(), "vendor.csv", json=True)
    assert response.status_code == 422 and "paling banyak 3" in response.get_json()["error"]["fields"]["berkas"]
    assert uploads_in(app) == []


def test_an_upload_whose_import_crashes_leaves_no_file(admin, app, monkeypatch):
    from admin import setup

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as a dropped connection or a killed request would: not even an Exception

    monkeypatch.setattr(setup, "_run", crash)
    with pytest.raises(KeyboardInterrupt):
        upload(admin, "tps", b"kode_desa,no_tps\n1,2\n", "tps.csv")
    assert uploads_in(app) == []


def test_a_file_gdal_cannot_read_is_named_without_the_servers_path(admin, app):
    response = upload(admin, "batas", b"PK\x03\x04 broken", "batas.zip", json=True)
    message = response.get_json()["error"]["fields"]["berkas"]
    assert response.status_code == 422 and app.instance_path not in message and "/uploads/" not in message


def test_nginx_of_the_cluster_takes_the_apps_upload_limit():
    from siaga.config import UPLOAD_LIMIT

    import subprocess
    import sys

    root = Path(__file__).parent.parent
    script = (root / "scripts" / "cluster.sh").read_text()
    # cluster.sh takes the cap from deploy/render.py (as the production site does), which reads UPLOAD_LIMIT
    assert "client_max_body_size $max_body;" in script and 'deploy/render.py" max-body' in script
    assert "client_max_body_size 1m" not in script and UPLOAD_LIMIT == 25 * 1024 * 1024
    rendered = subprocess.run([sys.executable, str(root / "deploy" / "render.py"), "max-body"], check=True,
                              capture_output=True, text=True, cwd=root).stdout.strip()
    assert rendered == str(UPLOAD_LIMIT)


def test_missing_file_and_unknown_kind(admin):
    token = csrf_from(admin, "/admin/wilayah")
    assert admin.post("/admin/wilayah/unggah", data={"csrf_token": token, "jenis": "tps"}).status_code == 422
    assert upload(admin, "semua", b"a", "x.csv").status_code == 422


def test_settings_form(admin, session):
    page = admin.get("/admin/pengaturan").get_data(as_text=True)
    assert 'name="quorum" value="4"' in page and 'name="open_deadline" value="07:30"' in page
    response = post(admin, "/admin/pengaturan", {"quorum": "5", "open_deadline": "07:45"})
    assert response.status_code == 303
    assert session.scalar(select(ElectionSetting.value).where(ElectionSetting.key == "open_deadline")) == "07:45"
    bad = admin.post("/admin/pengaturan", data={"csrf_token": csrf_from(admin, "/admin/wilayah"), "quorum": "99"},
                     headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "quorum" in bad.get_json()["error"]["fields"]


def test_settings_form_shows_a_refused_value_next_to_its_field(admin, session):
    """On the page, not on an error page: the field's message beside it, what was typed kept in every field,
    nothing stored."""
    token = csrf_from(admin, "/admin/pengaturan")
    response = admin.post("/admin/pengaturan", data={"csrf_token": token, "quorum": "99", "open_deadline": "07:50"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'name="quorum" value="99"' in page and 'name="open_deadline" value="07:50"' in page
    assert 'aria-invalid="true" aria-describedby="quorum-error"' in page
    assert '<p class="field-error" id="quorum-error">' in page and 'id="open_deadline-error"' not in page
    assert session.scalar(select(ElectionSetting.value).where(ElectionSetting.key == "open_deadline")) is None
    too_short = admin.post("/admin/pengaturan", data={"csrf_token": token, "fatigue_alert_hours": "12",
                                                      "fatigue_escalate_hours": "10"})
    assert too_short.status_code == 422 and 'id="fatigue_escalate_hours-error"' in too_short.get_data(as_text=True)
