"""Command-line tools: `flask --app wsgi seed-demo | plan-meals | drill | import-tps | import-officers`, and accounts:
`set-password | deactivate-user | reactivate-user | revoke-sessions | provision-accounts`, and
`recompute-coverage`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.models import Kecamatan, MealRound
from siaga.election import election_day
from siaga.extensions import db


def _cli_actor() -> Actor:
    return Actor.system("cli")


def _print_rows(title: str, rows, colour: str) -> None:
    click.echo(click.style(title, fg=colour))
    click.echo(f"{'baris':>6}  {'kolom':<16} pesan")
    for e in rows:
        click.echo(f"{e.row:>6}  {e.column:<16} {e.message}")


def _print_import(report) -> None:
    """The report as a person reads it: errors (nothing written), warnings, notes, counts, changes."""
    if report.warnings:
        _print_rows(f"{len(report.warnings)} peringatan / warnings:", report.warnings, "yellow")
    for note in report.notes:
        click.echo(click.style(f"catatan: {note}", fg="cyan"))
    if report.errors:
        _print_rows(f"{len(report.errors)} kesalahan; tidak ada yang diimpor / nothing imported:", report.errors, "red")
        raise SystemExit(1)
    for group, count in sorted(report.per_group.items()):
        click.echo(f"  {group:<28} {count:>6}")
    for change in report.changes:
        fields = "; ".join(f"{k}: {a} -> {b}" for k, (a, b) in change.fields.items())
        click.echo(f"  baris {change.row} {change.label}: {fields}")
    new, changed = ("akan dibuat", "akan diperbarui") if report.dry_run else ("baru", "diperbarui")
    click.echo(f"{report.rows} baris: {report.created} {new}, {report.updated} {changed}, {report.unchanged} tetap")
    if report.dry_run:
        click.echo(click.style("Uji coba (--dry-run): tidak ada yang ditulis / nothing written.", fg="cyan"))


def _run_import(importer, path: Path, **options) -> None:
    total = _count_rows(path)
    with click.progressbar(length=total, label=f"Memeriksa {path.name}", show_pos=True,
                           file=sys.stderr) as bar:
        report = importer(db.session, _cli_actor(), path, progress=bar.update, **options)
    _print_import(report)


def _sites(import_sites, kind, session, actor, path, **options):
    return import_sites(session, actor, kind, path, **options)


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    from logistics.imports.report import parse_mapping

    try:
        return parse_mapping(pairs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map")


MAP_HELP = "A column of the file under its own name: KOLOM_BERKAS=kolom (e.g. noTps=no_tps); repeat for several."
DRY_RUN_HELP = "Check and report only; write nothing."


def _count_rows(path: Path) -> int:
    if path.suffix.lower() == ".csv":
        with path.open("rb") as fh:
            return max(sum(1 for _ in fh) - 1, 0)
    return 0  # XLSX: length unknown without reading it twice; the bar still counts


def _account_command(change, username: str, *args) -> None:
    """Run an account service on `username` as the CLI; a refusal is a usage error, not a traceback."""
    from logistics.services.accounts import find_user

    user = find_user(db.session, username)
    if user is None:
        raise click.BadParameter(f"pengguna tidak dikenal / unknown user: {username}", param_hint="USERNAME")
    _as_cli(change, user.id, *args)


def _as_cli(service, *args) -> None:
    """Call a service as the CLI; its refusal (a DomainError) is a usage error with its messages."""
    from logistics.errors import DomainError

    try:
        service(db.session, _cli_actor(), *args)
    except DomainError as exc:
        raise click.UsageError(" ".join(map(str, [exc.message, *exc.fields.values()])))


def _add_account_command(app: Flask, name: str, service, help_text: str, done: str) -> None:
    """`flask <name> USERNAME`: one account service applied to one user."""

    @app.cli.command(name, help=help_text)
    @click.argument("username")
    def command(username: str) -> None:
        _account_command(service, username)
        click.echo(done.format(username=username))


def register_cli(app: Flask) -> None:
    from logistics.services import accounts

    @app.cli.command("set-password")
    @click.argument("username")
    @click.password_option("--password", help="The new password (asked for when not given).")
    def set_password_command(username: str, password: str) -> None:
        """Set a user's password; every session of theirs ends."""
        _account_command(accounts.set_password, username, password)
        click.echo(f"Kata sandi {username} diganti; sesinya berakhir / password set, sessions ended.")

    for name, (service, help_text, done) in {
        "deactivate-user": (accounts.deactivate_user,
                            "Switch an account off: no login, its sessions end, its API tokens stop working.",
                            "{username} dinonaktifkan / deactivated."),
        "reactivate-user": (accounts.reactivate_user, "Switch an account back on (the user logs in again).",
                            "{username} aktif lagi / active again."),
        "revoke-sessions": (accounts.revoke_sessions,
                            "End every browser session of a user (a lost phone); the password stays.",
                            "Semua sesi {username} berakhir / every session ended."),
    }.items():
        _add_account_command(app, name, service, help_text, done)

    @app.cli.command("set-scope")
    @click.argument("username")
    @click.option("--area", "kode", default="", help="A Kemendagri code: a province (19), a kab/kota (19.71) or a "
                  "kecamatan (19.71.01) stored; empty: the whole nation.")
    @click.option("--role", type=click.Choice(["admin", "coordinator"]), help="Make the account this role too.")
    def set_scope_command(username: str, kode: str, role: str | None) -> None:
        """Give an admin or coordinator their area: a province, a kab/kota or a kecamatan (by Kemendagri
        code), or the nation; their sessions end, the next login sees the new area."""
        from logistics.services.accounts import area_scope_of_code, find_user

        user = find_user(db.session, username)
        if user is None:
            raise click.BadParameter(f"pengguna tidak dikenal / unknown user: {username}", param_hint="USERNAME")
        try:
            scope = area_scope_of_code(db.session, kode)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--area") from None
        _as_cli(lambda session, actor, user_id: accounts.update_account(
            session, actor, user_id, full_name=user.full_name, role=role or user.role, **scope), user.id)
        click.echo(f"Wilayah {username}: {kode or 'nasional'} / area set.")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.password_option("--password", help="The admin's password (asked for when not given).")
    def create_admin_command(username: str, password: str) -> None:
        """Create an admin account on a new database (without the demo), to set up the area in the app."""
        _as_cli(accounts.create_admin, username, password)
        click.echo(f"Admin {username} dibuat / created.")

    @app.cli.command("seed-demo")
    @click.option("--password", envvar="DEMO_PASSWORD", default="siaga2025", show_default=True,
                  help="Password of the demo accounts (or set DEMO_PASSWORD).")
    def seed_demo_command(password: str) -> None:
        """Load the Pangkalpinang demo city (idempotent: running it again changes nothing)."""
        from siaga.seeding import seed_demo

        counts = seed_demo(db.session, demo_password=password, election_day=election_day())
        for name, (total, added) in counts.items():
            click.echo(f"{name:<22} {total:>7}  (+{added} new)")

    @app.cli.command("recompute-coverage")
    def recompute_coverage_command() -> None:
        """Recompute every TPS's nearest medic station (after a bulk load that bypassed the app, or an upgrade)."""
        import time

        from logistics.models import TpsCoverage
        from logistics.services.coverage import recompute_all
        from logistics.services.unit_of_work import UnitOfWork

        started = time.perf_counter()
        with UnitOfWork(db.session) as uow:  # the rows and their data version
            written = recompute_all(db.session)
            uow.commit()
        rows = db.session.scalar(select(func.count()).select_from(TpsCoverage))
        click.echo(f"tps_coverage {rows:>7}  ({written} changed, {time.perf_counter() - started:.1f} s)")

    @app.cli.command("refresh-map-grid")
    @click.option("--force", is_flag=True, help="Count again even if no TPS changed since the last count.")
    def refresh_map_grid_command(force: bool) -> None:
        """Count TPS per map grid cell (the zoomed-out map) and fill missing simplified boundaries.

        The app does this in the background after changes; run it after an upgrade, a bulk load that
        bypassed the app, or from cron on servers with MAP_GRID_REFRESH=off."""
        from logistics.services.boundary_shapes import fill_missing
        from logistics.services.map_grid import refresh
        from logistics.services.unit_of_work import UnitOfWork

        with UnitOfWork(db.session) as uow:  # the areas' shapes and their data versions
            shapes = fill_missing(db.session)
            uow.commit()
        result = refresh(db.session, force=force)
        db.session.commit()
        click.echo(f"boundaries simplified {shapes:>7}")
        if result is None:
            click.echo("map_grid_cell          up to date (or another process is counting)")
        else:
            click.echo(f"map_grid_cell {result.cells:>13}  ({result.written} written, {result.seconds:.2f} s)")

    @app.cli.command("plan-meals")
    @click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="The day to plan (default: ELECTION_DATE).")
    @click.option("--rounds", default=",".join(r.value for r in MealRound), show_default=True,
                  help="Comma-separated meal rounds.")
    @click.option("--kecamatan", "kecamatan_codes", multiple=True, help="Kemendagri code; repeat for several.")
    def plan_meals_command(day, rounds: str, kecamatan_codes: tuple[str, ...]) -> None:
        """Plan each TPS's meal rounds for its headcount, with couriers' routes and ETAs."""
        from logistics.services.meal_plans import plan_meals

        the_day = day.date() if day else election_day()
        try:
            chosen = [MealRound(r.strip()) for r in rounds.split(",") if r.strip()]
        except ValueError:
            raise click.BadParameter(f"pilih dari {', '.join(r.value for r in MealRound)}", param_hint="--rounds")
        ids = None
        if kecamatan_codes:
            found = dict(db.session.execute(select(Kecamatan.kode_kemendagri, Kecamatan.id)
                                            .where(Kecamatan.kode_kemendagri.in_(kecamatan_codes))).all())
            unknown = set(kecamatan_codes) - set(found)
            if unknown:
                raise click.BadParameter(f"kecamatan tidak dikenal: {', '.join(sorted(unknown))}", param_hint="--kecamatan")
            ids = list(found.values())
        result = plan_meals(db.session, _cli_actor(), the_day, chosen, ids)
        click.echo(f"{the_day}: {result.created} pengiriman baru, {result.updated} diperbarui, "
                   f"{result.unchanged} tetap")
        for name in result.without_vendor:
            click.echo(click.style(f"Kecamatan {name} belum punya vendor: konsumsi tanpa kurir.", fg="yellow"))

    @app.cli.command("provision-accounts")
    @click.option("--role", "roles", multiple=True, show_default=True,
                  type=click.Choice(["field_officer", "courier", "medic", "coordinator"]),
                  default=("field_officer", "courier", "medic"),
                  help="Whose logins: ketua KPPS (field_officer), courier, medic, coordinator; repeat for several.")
    @click.option("--kecamatan", "kecamatan_keys", multiple=True,
                  help="Kemendagri code or name (default: every kecamatan); repeat for several.")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="Folder for the cards: kartu-masuk-<kecamatan>.pdf, one per kecamatan.")
    @click.option("--base-url", envvar="SIAGA_PUBLIC_URL", required=True,
                  help="The site's address for the QR codes, e.g. https://siaga.example.go.id (or SIAGA_PUBLIC_URL).")
    @click.option("--reprint", is_flag=True,
                  help="Also new PINs (new cards) for the accounts that have not logged in yet.")
    def provision_accounts_command(roles, kecamatan_keys, out_dir: Path, base_url: str, reprint: bool) -> None:
        """Make the missing field staff logins from the imported people and write their login cards (PDF).
        The PINs are only in the PDF: hand it to the PPK's printer, then delete it."""
        from urllib.parse import urlencode

        from admin.cards import cards_pdf
        from logistics.services.field_accounts import provision
        from logistics.services.field_accounts import reprint as reprint_cards

        kecamatan = list(db.session.scalars(select(Kecamatan).order_by(Kecamatan.kode_kemendagri)))
        if kecamatan_keys:
            wanted = {k.strip().lower() for k in kecamatan_keys}
            chosen = [k for k in kecamatan if k.kode_kemendagri in wanted or k.nama.lower() in wanted]
            unknown = wanted - {k.kode_kemendagri for k in chosen} - {k.nama.lower() for k in chosen}
            if unknown:
                raise click.BadParameter(f"kecamatan tidak dikenal: {', '.join(sorted(unknown))}", param_hint="--kecamatan")
            kecamatan = chosen
        login = base_url.rstrip("/") + "/login?"
        out_dir.mkdir(parents=True, exist_ok=True)
        for kec in kecamatan:
            made, cards = provision(db.session, _cli_actor(), kec.id, roles)
            if reprint:
                new_ids = {u.username for u in made}
                cards += [c for c in reprint_cards(db.session, _cli_actor(), kec.id, roles) if c.username not in new_ids]
            line = f"{kec.nama:<16} {len(made):>5} akun baru"
            if cards:
                path = out_dir / f"kartu-masuk-{kec.kode_kemendagri.replace('.', '')}-{kec.nama.lower().replace(' ', '-')}.pdf"
                path.write_bytes(cards_pdf(cards, lambda username: login + urlencode({"u": username})))
                path.chmod(0o600)  # PINs inside: only the operator reads it
                line += f", {len(cards)} kartu -> {path}"
            click.echo(line)

    @app.cli.command("drill")
    @click.option("--speed", type=click.FloatRange(min=0.001), default=30.0, show_default=True,
                  help="Time compression: 30 plays a 24-hour day in 48 minutes.")
    @click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same day.")
    @click.option("--minutes", type=click.FloatRange(min=0), default=None,
                  help="Stop after this many wall-clock minutes (default: at the end of the day).")
    @click.option("--tps", "tps_limit", type=click.IntRange(min=1), default=None, help="Only the first N TPS.")
    @click.option("--wipe", is_flag=True, help="Reset what a drill moved and delete its incidents, then exit.")
    def drill_command(speed: float, seed: int, minutes, tps_limit, wipe: bool) -> None:
        """Gladi: claim a synthetic election day (ELECTION_DATE) for a drill that the worker plays through
        the services, from now (`flask --app wsgi worker` must run)."""
        from logistics.drill.runner import DrillRefused, start_drill, wipe_drill

        if wipe:
            counts = wipe_drill(db.session)
            click.echo(f"Gladi dihapus / drill wiped: {counts['tps']} TPS, {counts['delivery']} pengiriman, "
                       f"{counts['health_incident']} kejadian (catatan audit tetap, berlabel gladi).")
            return
        try:
            drill = start_drill(db.session, election_day(), seed=seed, speed=speed, minutes=minutes,
                                tps_limit=tps_limit)
        except DrillRefused as exc:
            raise click.ClickException(str(exc))
        click.echo(f"Gladi dicatat / drill recorded (hari {drill.day:%d-%m-%Y}, {speed:g}x, seed {seed}): pekerja latar "
                   "memainkannya / the worker plays it (flask --app wsgi worker). Hapus / wipe: flask --app wsgi drill --wipe")

    @app.cli.command("worker")
    def worker_command() -> None:
        """A worker process: delivers events (Web Push, ...) and runs the scheduled work. On PostgreSQL start
        as many as the events need (they share them; the scheduled work runs in one); on SQLite one."""
        from siaga.worker import run_worker
        from siaga.worker.lead import WorkerRefused

        try:
            run_worker(app)
        except WorkerRefused as exc:
            raise click.ClickException(str(exc)) from None

    @app.cli.command("import-tps")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--map", "pairs", multiple=True, help=MAP_HELP)
    @click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
    @click.option("--with-warnings", "approximate", is_flag=True,
                  help="Import with warnings: rows with bad coordinates (lost digits, lat/lon swapped, 0/0, far "
                       "outside their area) get an approximate position, with a warning each, instead of "
                       "refusing the file.")
    def import_tps_command(path: Path, pairs: tuple[str, ...], dry_run: bool, approximate: bool) -> None:
        """Import TPS from CSV or XLSX (KPU, SIREKAP, KawalPemilu or Kemendagri columns; KPU's own numbers
        such as 58390-SUKARASA are matched by name within kab/kota and kecamatan); nothing is imported if any
        row is wrong. A TPS already stored (same kelurahan and number) is updated."""
        from logistics.imports.tps_file import import_tps

        _run_import(import_tps, path, mapping=_mapping(pairs), dry_run=dry_run, approximate_bad_points=approximate)

    @app.cli.command("import-boundaries")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--kota", "kota_nama", default="", help="Name of the kota/kabupaten, if the file has none.")
    @click.option("--provinsi", default="", help="Name of the province, if the file has none.")
    @click.option("--jenis", type=click.Choice(["kota", "kabupaten"]), default=None,
                  help="Kota or kabupaten (default: from the name).")
    @click.option("--map", "pairs", multiple=True, help=MAP_HELP)
    @click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
    def import_boundaries_command(path: Path, kota_nama: str, provinsi: str, jenis: str | None,
                                  pairs: tuple[str, ...], dry_run: bool) -> None:
        """Set up a kota/kabupaten, its kecamatan and kelurahan from a kelurahan boundary file (GeoJSON,
        GeoPackage, zipped Shapefile; any CRS), or without boundaries from a CSV/XLSX of codes, names and one
        point per kelurahan (drawn Voronoi areas). Areas already stored (same code) are updated."""
        from logistics.imports.boundary_file import import_boundaries

        _print_import(import_boundaries(db.session, _cli_actor(), path, kota_nama=kota_nama, provinsi=provinsi,
                                        jenis=jenis or "", mapping=_mapping(pairs), dry_run=dry_run))

    areas = click.Group("areas", help="The national area list (seed_data/national/, from idn-area-data, ODbL).")
    app.cli.add_command(areas)

    @areas.command("setup")
    @click.argument("kode")
    @click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
    def areas_setup_command(kode: str, dry_run: bool) -> None:
        """Set up a province (all its kab/kota) or one kab/kota picked by its Kemendagri code (`flask areas
        show` lists them): its kecamatan and desa/kelurahan are created with official codes and names, with
        no outline until a boundary file is imported (same codes, filled in place)."""
        from logistics.imports.area_list_pick import set_up_from_list

        _print_import(set_up_from_list(db.session, _cli_actor(), kode, dry_run=dry_run))

    @areas.command("show")
    @click.argument("kode", required=False)
    def areas_show_command(kode: str | None) -> None:
        """List the provinces, or the areas within KODE, from the shipped list."""
        from logistics.area_list import area_list

        for area in area_list().children(kode.strip() if kode else None):
            click.echo(f"{area.kode:<14} {area.jenis:<10} {area.nama}")

    @areas.command("update")
    @click.option("--version", "version", default="latest", show_default=True, help="idn-area-data version.")
    def areas_update_command(version: str) -> None:
        """Rebuild the shipped list from the npm package idn-area-data (needs npm and the registry)."""
        import subprocess
        import tarfile
        import tempfile

        from logistics.area_list import LIST_FILE, build_list_file

        with tempfile.TemporaryDirectory() as work:
            packed = subprocess.run(["npm", "pack", f"idn-area-data@{version}", "--silent"], cwd=work,
                                    check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(work) / packed) as archive:
                archive.extractall(work, filter="data")
            data = Path(work) / "package" / "data"
            licence = (data / "LICENSE.md").read_text(encoding="utf-8")
            if "Open Database License" not in licence:
                raise click.ClickException("the data's licence is no longer the ODbL: check it before shipping")
            counts = build_list_file(data)
            (LIST_FILE.parent / "LICENSE-ODbL.md").write_text(licence, encoding="utf-8")
        click.echo(f"{packed}: " + ", ".join(f"{n} {level}" for level, n in counts.items()) + f" -> {LIST_FILE}")

    @app.cli.command("import-sites")
    @click.argument("kind", type=click.Choice(["faskes", "pos", "vendor", "kurir", "medis"]))
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--map", "pairs", multiple=True, help=MAP_HELP)
    @click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
    def import_sites_command(kind: str, path: Path, pairs: tuple[str, ...], dry_run: bool) -> None:
        """Import health facilities (faskes), medic stations (pos), catering vendors, couriers (kurir) or
        medics (medis) from CSV or XLSX; all rows or none. Import faskes before pos, vendor before kurir,
        pos before medis."""
        from functools import partial

        from logistics.imports.sites_file import import_sites

        _run_import(partial(_sites, import_sites, kind), path, mapping=_mapping(pairs), dry_run=dry_run)

    @app.cli.command("import-officers")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_officers_command(path: Path) -> None:
        """Import KPPS, Linmas and PPS officers from CSV or XLSX; all rows or none."""
        from logistics.imports.officers_file import import_officers

        _run_import(import_officers, path)

    from siaga.sms.cli import register as register_sms
    from siaga import election_cli

    register_sms(app)
    election_cli.register(app)
