"""Bulk import of TPS and officers: every row validated, all or nothing, errors by row and column."""
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.models import AuditEntry, Kelurahan, Person, PersonRole, Role, Tps, TpsKind
from logistics.imports.officers_file import import_officers
from logistics.imports.tps_file import import_tps

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
HEADER = "kode_kelurahan,no_tps,alamat,lat,lon,dpt,jenis,lokasi_khusus\n"
MERAPEN = "19.71.05.1002"
INSIDE = "-2.111704,106.088938"


def write(tmp_path, text, name="tps.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def tps_count(session):
    return session.scalar(select(func.count()).select_from(Tps))


def test_example_file_imports_and_a_second_run_changes_nothing(session, actor_for):
    admin = actor_for("admin")
    report = import_tps(session, admin, EXAMPLES / "tps_import_example.csv")
    assert report.ok and (report.created, report.updated) == (2, 0)
    tps = session.scalar(select(Tps).join(Kelurahan).where(Kelurahan.kode_kemendagri == MERAPEN, Tps.number == 8))
    assert tps.dpt == 270 + 281 and tps.kind == TpsKind.REGULAR and tps.code == f"{MERAPEN}-008"
    assert not tps.position_synthetic
    again = import_tps(session, admin, EXAMPLES / "tps_import_example.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_one_bad_row_means_nothing_is_imported(session, actor_for):
    before = tps_count(session)
    report = import_tps(session, actor_for("admin"), EXAMPLES / "tps_import_with_errors.csv")
    assert not report.ok and report.rows == 4
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "kode_kelurahan"), (4, "dpt"), (4, "lokasi_khusus"), (5, "dpt"), (5, "lat/lon")}
    assert tps_count(session) == before  # row 2 was fine, and still nothing was written


def test_existing_tps_is_updated_and_audited(session, actor_for, tmp_path):
    path = write(tmp_path, HEADER + f"{MERAPEN},1,Jl. Baru 1,{INSIDE},444,reguler,\n")
    report = import_tps(session, actor_for("admin"), path)
    assert (report.created, report.updated) == (0, 1)
    tps = session.scalar(select(Tps).where(Tps.code == f"{MERAPEN}-001"))
    assert tps.dpt == 444 and tps.address == "Jl. Baru 1"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "tps.imported", AuditEntry.entity_id == tps.id))
    assert entry.before["address"] != "Jl. Baru 1" and entry.after["dpt"] == 444


@pytest.mark.parametrize("rows, expected", [
    (f"{MERAPEN},20,A,{INSIDE},300,reguler,\n{MERAPEN},20,B,{INSIDE},300,reguler,\n", (3, "no_tps")),
    (f"1971051002,21,A,{INSIDE},300,reguler,\n{MERAPEN},21,B,{INSIDE},1.200,reguler,\n", (3, "no_tps")),
    (f"{MERAPEN},0,A,{INSIDE},300,reguler,\n", (2, "no_tps")),
    (f"{MERAPEN},22,A,{INSIDE},300,tenda,\n", (2, "jenis")),
    (f"{MERAPEN},23,A,-2.111704,200.5,300,reguler,\n", (2, "lat/lon")),  # outside Indonesia: a bad point
    (f"19-71,23,A,{INSIDE},300,reguler,\n", (2, "kode_kelurahan")),
])
def test_cell_errors(session, actor_for, tmp_path, rows, expected):
    report = import_tps(session, actor_for("admin"), write(tmp_path, HEADER + rows))
    assert expected in {(e.row, e.column) for e in report.errors}


def test_missing_columns_and_bad_files(session, actor_for, tmp_path):
    admin = actor_for("admin")
    report = import_tps(session, admin, write(tmp_path, "alamat,lat,dpt_l\nJl. A,-2.1,100\n"))
    assert {e.column for e in report.errors} == {"no_tps", "kode_kelurahan", "lon", "dpt_p"}
    assert {e.row for e in report.errors} == {1}
    assert not import_tps(session, admin, write(tmp_path, "", "empty.csv")).ok
    assert not import_tps(session, admin, write(tmp_path, "x", "tps.pdf")).ok
    assert not import_tps(session, admin, write(tmp_path, "not a zip", "broken.xlsx")).ok
    assert not import_tps(session, admin, write(tmp_path, HEADER, "header_only.csv")).ok


def test_xlsx_with_kpu_style_headers(session, actor_for, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Kode Wilayah", "TPS", "Alamat TPS", "Latitude", "Longitude", "DPT L", "DPT P"])
    sheet.append([MERAPEN, 30, "Masjid Al-Ikhlas", -2.111704, 106.088938, 250, 260])
    path = tmp_path / "tps.xlsx"
    book.save(path)
    ticks = []
    report = import_tps(session, actor_for("koordinator"), path, progress=ticks.append)
    assert report.ok and report.created == 1 and sum(ticks) == 1


def test_kecamatan_coordinator_imports_only_its_own(session, actor_for, tmp_path):
    path = write(tmp_path, HEADER + "19.71.01.1004,40,A,-2.131462,106.126418,300,reguler,\n")
    report = import_tps(session, actor_for("camat-gerunggang"), path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "kode_kelurahan")]


def test_a_province_coordinator_imports_only_its_province(session, actor_for, tmp_path):
    """An area wider than a kecamatan is checked row by row too: a coordinator of another province
    (Nusa Tenggara Barat, 52) may open the import but stores no TPS of Pangkalpinang (19)."""
    actor = Actor(role=Role.COORDINATOR, label="koordinator-ntb", provinsi_kode="52", area_kecamatan=frozenset())
    path = write(tmp_path, HEADER + f"{MERAPEN},40,A,-2.131462,106.126418,300,reguler,\n")
    report = import_tps(session, actor, path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "kode_kelurahan")]


OFFICERS = "kode_kelurahan,no_tps,nama,jabatan,no_hp\n"


def test_officers_import(session, actor_for, tmp_path):
    admin = actor_for("admin")
    path = write(tmp_path, OFFICERS + f"{MERAPEN},1,Sari Dewi,Anggota,0812-0000-0001\n{MERAPEN},1,Budi,Linmas,\n",
                 "officers.csv")
    report = import_officers(session, admin, path)
    assert report.ok and report.created == 2
    sari = session.scalar(select(Person).where(Person.name == "Sari Dewi"))
    assert sari.role == PersonRole.KPPS_ANGGOTA and sari.tps.code == f"{MERAPEN}-001"
    assert import_officers(session, admin, path).unchanged == 2


def test_officers_import_errors(session, actor_for, tmp_path):
    rows = (f"{MERAPEN},1,Ketua Baru,Ketua,\n"        # the TPS already has a ketua
            f"{MERAPEN},99,Tidak Ada,Anggota,\n"      # no such TPS
            f"{MERAPEN},2,,Anggota,\n"                # no name
            f"{MERAPEN},2,Andi,Bendahara,abc\n"       # unknown role, bad phone
            f"{MERAPEN},3,A,Ketua,\n{MERAPEN},3,B,Ketua,\n")
    before = session.scalar(select(func.count()).select_from(Person))
    report = import_officers(session, actor_for("admin"), write(tmp_path, OFFICERS + rows, "officers.csv"))
    assert {(e.row, e.column) for e in report.errors} >= {(2, "jabatan"), (3, "no_tps"), (4, "nama"), (5, "jabatan"),
                                                          (5, "no_hp"), (7, "jabatan")}
    assert session.scalar(select(func.count()).select_from(Person)) == before


def test_cli_reports_errors_and_exits_non_zero(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-tps", str(EXAMPLES / "tps_import_with_errors.csv")])
    assert result.exit_code == 1
    assert "tidak ada yang diimpor" in result.output and "kelurahan 19.71.05.9999 tidak dikenal" in result.output
    ok = runner.invoke(args=["import-tps", str(EXAMPLES / "tps_import_example.csv")])
    assert ok.exit_code == 0 and "2 baru" in ok.output


def test_cli_plan_meals(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plan-meals", "--date", "2025-08-27", "--rounds", "snack", "--kecamatan", "19.71.05"])
    assert result.exit_code == 0, result.output
    assert "pengiriman baru" in result.output
    bad = runner.invoke(args=["plan-meals", "--kecamatan", "19.71.99"])
    assert bad.exit_code != 0 and "tidak dikenal" in bad.output


def test_officers_import_stays_within_the_coordinators_area(session, actor_for, tmp_path):
    """Gerunggang's coordinator adds officers to Gerunggang's TPS, not to Bukit Intan's."""
    rows = f"{MERAPEN},1,Sari Dewi,Anggota,\n19.71.01.1004,1,Budi,Linmas,\n"
    before = session.scalar(select(func.count()).select_from(Person))
    report = import_officers(session, actor_for("camat-gerunggang"), write(tmp_path, OFFICERS + rows, "officers.csv"))
    assert [(e.row, e.column) for e in report.errors] == [(3, "kode_kelurahan")]
    assert session.scalar(select(func.count()).select_from(Person)) == before
    own = import_officers(session, actor_for("camat-gerunggang"),
                          write(tmp_path, OFFICERS + f"{MERAPEN},1,Sari Dewi,Anggota,\n", "own.csv"))
    assert own.ok and own.created == 1
