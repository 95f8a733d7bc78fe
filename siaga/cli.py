"""Command-line tools: `flask --app wsgi seed-demo | plan-meals | import-tps | import-officers`, and accounts:
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


def _print_import(report) -> None:
    if report.errors:
        click.echo(click.style(f"{len(report.errors)} kesalahan; tidak ada yang diimpor / nothing imported:", fg="red"))
        click.echo(f"{'baris':>6}  {'kolom':<16} pesan")
        for e in report.errors:
            click.echo(f"{e.row:>6}  {e.column:<16} {e.message}")
        raise SystemExit(1)
    click.echo(f"{report.rows} baris: {report.created} baru, {report.updated} diperbarui, {report.unchanged} tetap")


def _run_import(importer, path: Path) -> None:
    total = _count_rows(path)
    with click.progressbar(length=total, label=f"Memeriksa {path.name}", show_pos=True,
                           file=sys.stderr) as bar:
        report = importer(db.session, _cli_actor(), path, progress=bar.update)
    _print_import(report)


def _count_rows(path: Path) -> int:
    if path.suffix.lower() == ".csv":
        with path.open("rb") as fh:
            return max(sum(1 for _ in fh) - 1, 0)
    return 0  # XLSX: length unknown without reading it twice; the bar still counts


def _account_command(change, username: str, *args) -> None:
    """Run an account service on `username` as the CLI; a refusal is a usage error, not a traceback."""
    from logistics.errors import DomainError
    from logistics.services.accounts import find_user

    user = find_user(db.session, username)
    if user is None:
        raise click.BadParameter(f"pengguna tidak dikenal / unknown user: {username}", param_hint="USERNAME")
    try:
        change(db.session, _cli_actor(), user.id, *args)
    except DomainError as exc:
        raise click.UsageError(" ".join([exc.message, *exc.fields.values()]))


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

    @app.cli.command("seed-demo")
    @click.option("--password", envvar="DEMO_PASSWORD", default="siaga2025", show_default=True,
                  help="Password of the demo accounts (or set DEMO_PASSWORD).")
    def seed_demo_command(password: str) -> None:
        """Load the Pangkalpinang demo city (idempotent: running it again changes nothing)."""
        from siaga.seeding import seed_demo

        counts = seed_demo(db.session, demo_password=password)
        for name, (total, added) in counts.items():
            click.echo(f"{name:<22} {total:>7}  (+{added} new)")

    @app.cli.command("recompute-coverage")
    def recompute_coverage_command() -> None:
        """Recompute every TPS's nearest medic station (after a bulk load that bypassed the app, or an upgrade)."""
        import time

        from logistics.models import TpsCoverage
        from logistics.services.coverage import recompute_all

        started = time.perf_counter()
        written = recompute_all(db.session)
        db.session.commit()
        rows = db.session.scalar(select(func.count()).select_from(TpsCoverage))
        click.echo(f"tps_coverage {rows:>7}  ({written} changed, {time.perf_counter() - started:.1f} s)")

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

    @app.cli.command("import-tps")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_tps_command(path: Path) -> None:
        """Import TPS from CSV or XLSX (KPU columns); nothing is imported if any row is wrong."""
        from logistics.imports.tps_file import import_tps

        _run_import(import_tps, path)

    @app.cli.command("import-officers")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_officers_command(path: Path) -> None:
        """Import KPPS, Linmas and PPS officers from CSV or XLSX; all rows or none."""
        from logistics.imports.officers_file import import_officers

        _run_import(import_officers, path)
