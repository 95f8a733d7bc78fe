"""Accounts for field staff: provisioning from the imported people, login cards (PDF + QR), one-time PINs,
reset and revoke by the kecamatan coordinator, the admin list and the H-1 readiness CSV."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from logistics.actor import Actor
from logistics.errors import PermissionDenied
from logistics.models import AuditEntry, Kecamatan, Person, PersonRole, Role, User
from logistics.permissions import Permission, Target, may
from logistics.services import accounts, field_accounts
from logistics.services.api_tokens import create_token
from tests.field_client import log_in_as
from tests.test_auth import csrf_token
from tests.factories import save

NEW_PASSWORD = "kopi pagi di tps lima"


def kecamatan(session, nama) -> Kecamatan:
    return session.scalar(select(Kecamatan).where(Kecamatan.nama == nama))


def users_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def field_account(session, prefix="tps-") -> User:
    """A Gerunggang field login the seed made (not a demo account)."""
    return session.scalar(select(User).where(User.username.like(prefix + "%")).order_by(User.username).limit(1))


def login(client, username, password):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def post(client, url, data=None, path="/login"):
    return client.post(url, data={"csrf_token": csrf_token(client, path), **(data or {})})


def read_cards(pdf: bytes) -> tuple[int, str, list[str]]:
    """(pages, text, decoded QR codes) of a cards PDF: the text with pypdf, the QR codes decoded from the
    rendered pages (pypdfium2 + zxing-cpp), as a phone's camera would."""
    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    codes = []
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        image = page.render(scale=200 / 72).to_pil()
        codes += [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    return len(reader.pages), text, codes


# --- provisioning ---

def test_provisioning_twice_makes_no_second_account(session):
    admin, bukit = Actor.system("test"), kecamatan(session, "Bukit Intan")
    before = users_count(session)
    made, cards = field_accounts.provision(session, admin, bukit.id, [Role.COURIER, Role.MEDIC])
    couriers = session.scalar(select(func.count()).select_from(Person).where(
        Person.role == PersonRole.COURIER, Person.kecamatan_id == bukit.id))
    medics = session.scalar(select(func.count()).select_from(Person).where(
        Person.role == PersonRole.MEDIC, Person.kecamatan_id == bukit.id))
    assert len(made) == len(cards) == couriers + medics > 0
    assert users_count(session) == before + len(made)
    assert all(re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}", c.pin) for c in cards)
    assert all(u.must_change_password and u.pin_issued_at for u in made)
    again, no_cards = field_accounts.provision(session, admin, bukit.id, [Role.COURIER, Role.MEDIC])
    assert again == [] and no_cards == [] and users_count(session) == before + len(made)
    # Only hashes are kept, and the audit trail holds no PIN and no hash.
    courier = next(u for u in made if u.role == Role.COURIER)
    pin = next(c.pin for c in cards if c.username == courier.username)
    assert pin not in courier.password_hash and courier.password_hash.startswith("scrypt:")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "app_user",
                                                    AuditEntry.entity_id == courier.id))
    assert entry.action == "user.provisioned" and "password_hash" not in entry.after
    assert pin not in str(entry.after)


def test_usernames_are_typeable_and_say_the_post(session):
    made, cards = field_accounts.provision(session, Actor.system("test"), kecamatan(session, "Bukit Intan").id,
                                           [Role.COURIER, Role.COORDINATOR])
    names = {u.role: u.username for u in made}
    assert names[Role.COORDINATOR] == "koordinator-bukit-intan"
    assert re.fullmatch(r"kurir-197101-\d+", names[Role.COURIER])
    assert field_account(session).username == "tps-1971051001-001"  # the seed's Gerunggang ketua KPPS


def test_a_kecamatan_coordinator_provisions_only_field_staff_of_their_kecamatan(session, actor_for):
    camat = actor_for("camat-gerunggang")
    with pytest.raises(PermissionDenied):
        field_accounts.provision(session, camat, kecamatan(session, "Bukit Intan").id, [Role.COURIER])
    with pytest.raises(PermissionDenied):  # coordinators are made by admins
        field_accounts.provision(session, camat, kecamatan(session, "Gerunggang").id, [Role.COORDINATOR])
    made, _cards = field_accounts.provision(session, camat, kecamatan(session, "Gerunggang").id, [Role.COURIER])
    assert made == []  # the seed made them already


# --- the cards ---

def test_the_cards_pdf_has_one_card_per_person_and_each_qr_opens_their_login(client, session):
    log_in_as(client, session, "admin")
    bukit = kecamatan(session, "Bukit Intan")
    response = post(client, "/admin/pengguna/provisi", {"kecamatan": bukit.id, "roles": ["courier", "medic"]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    made = session.scalars(select(User).where(User.role.in_(["courier", "medic"]), User.pin_issued_at.is_not(None))
                           .order_by(User.username)).all()
    assert len(made) > 8  # more than one page
    pages, text, codes = read_cards(response.data)
    assert pages == -(-len(made) // 8)
    assert text.count("PIN sekali pakai") == len(made)
    assert sorted(codes) == sorted(f"http://localhost/login?u={u.username}" for u in made)
    for user in made:
        assert text.count(f"u={user.username}\n") + text.count(f"u={user.username}") >= 1
    # Each printed PIN logs its own account in (and only once: see below).
    first = made[0]
    pin = re.search(rf"{re.escape(first.username)}\s*PIN sekali pakai\s*((?:[0-9A-Z]\s*){{10}})", text).group(1)
    assert login(client, first.username, re.sub(r"\s", "", pin)).status_code == 302


def test_the_login_page_fills_in_the_username_of_the_qr_code(client):
    page = client.get("/login?u=tps-1971051001-001").get_data(as_text=True)
    assert 'value="tps-1971051001-001"' in page and "autofocus" in page
    hostile = client.get('/login?u="><script>x</script>').get_data(as_text=True)
    assert "<script>x" not in hostile


def test_cli_provisions_a_kecamatan_and_writes_its_cards(app, session, tmp_path):
    from siaga.extensions import db

    runner = app.test_cli_runner()
    with app.app_context():
        db.session = session  # noqa: the test's rolled-back session
        args = ["provision-accounts", "--role", "medic", "--kecamatan", "Bukit Intan", "--out", str(tmp_path),
                "--base-url", "https://siaga.example.go.id/"]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        again = runner.invoke(args=args)
    assert "0 akun baru" in again.output and "kartu" not in again.output
    (pdf,) = tmp_path.glob("*.pdf")
    pages, text, codes = read_cards(pdf.read_bytes())
    assert codes and all(c.startswith("https://siaga.example.go.id/login?u=medis-") for c in codes)
    assert oct(pdf.stat().st_mode & 0o777) == "0o600"


# --- one-time PIN, first login, reset ---

def test_a_one_time_pin_works_once_and_forces_a_new_password(client, session):
    user = field_account(session)
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    assert login(client, user.username, card.pin).status_code == 302
    assert user.last_login_at is not None
    # Every page leads to the new-password page until a password is set; JSON callers get a 403.
    page = client.get(f"/lapangan/tps/{user.tps_id}")
    assert page.status_code == 303 and page.headers["Location"].endswith("/akun/sandi-baru")
    assert client.get("/api/v1/tps", headers={"Accept": "application/json"}).status_code == 403
    rules = client.get("/akun/sandi-baru").get_data(as_text=True)
    assert "minimal 12 karakter" in rules and "tidak sama dengan nama pengguna atau PIN" in rules
    short = post(client, "/akun/sandi-baru", {"new_password": "123456", "new_password_again": "123456"},
                 path="/akun/sandi-baru")
    assert short.status_code == 422 and "minimal 12 karakter" in short.get_data(as_text=True)
    done = post(client, "/akun/sandi-baru", {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
                path="/akun/sandi-baru")
    assert done.status_code == 303
    assert client.get(f"/lapangan/tps/{user.tps_id}").status_code == 200  # this browser stays logged in
    assert not user.must_change_password
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/lapangan/tps/{user.tps_id}")})
    assert login(client, user.username, card.pin).status_code == 400  # the PIN worked once
    assert login(client, user.username, NEW_PASSWORD).status_code == 302


def test_a_reset_pin_ends_the_old_pin_and_every_session(app, client, session):
    user = field_account(session)
    first = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    assert login(client, user.username, first.pin).status_code == 302
    other = app.test_client()
    assert login(other, user.username, first.pin).status_code == 400  # single use: one browser only
    second = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    for browser in (client, other):
        response = browser.get(f"/lapangan/tps/{user.tps_id}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(client, user.username, first.pin).status_code == 400
    assert login(client, user.username, second.pin).status_code == 302
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "app_user",
                                                              AuditEntry.entity_id == user.id)).all()
    assert actions.count("user.pin_reset") == 2


def test_a_kecamatan_coordinator_cannot_reset_another_kecamatans_staff(client, session, actor_for):
    admin, camat = Actor.system("test"), actor_for("camat-gerunggang")
    made, _cards = field_accounts.provision(session, admin, kecamatan(session, "Bukit Intan").id, [Role.COURIER],
                                            issue_pins=False)
    outside, inside = made[0], field_account(session)
    for service in (field_accounts.reset_pin, accounts.deactivate_user, accounts.reactivate_user):
        with pytest.raises(PermissionDenied):
            service(session, camat, outside.id)
    with pytest.raises(PermissionDenied):  # nor a coordinator of their own kecamatan (not field staff)
        field_accounts.reset_pin(session, camat, session.scalar(select(User.id).where(User.username == "camat-gerunggang")))
    log_in_as(client, session, "camat-gerunggang")
    assert post(client, f"/admin/pengguna/{outside.id}/reset").status_code == 403
    assert post(client, f"/admin/pengguna/{outside.id}/cabut").status_code == 403
    assert outside.active and outside.pin_issued_at is None
    response = post(client, f"/admin/pengguna/{inside.id}/reset")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (_pages, _text, codes) = read_cards(response.data)
    assert codes == [f"http://localhost/login?u={inside.username}"]


def test_the_account_permissions(session, actor_for):
    gerunggang, bukit = kecamatan(session, "Gerunggang").id, kecamatan(session, "Bukit Intan").id
    cases = {  # (kecamatan, account role) -> admin, city coordinator, camat-gerunggang, petugas
        (gerunggang, Role.FIELD_OFFICER): (True, False, True, False),
        (gerunggang, Role.MEDIC): (True, False, True, False),
        (bukit, Role.COURIER): (True, False, False, False),
        (gerunggang, Role.COORDINATOR): (True, False, False, False),
        (gerunggang, Role.ADMIN): (True, False, False, False),
    }
    for permission in (Permission.ACCOUNT_PROVISION, Permission.ACCOUNT_RESET, Permission.ACCOUNT_REVOKE):
        for (kec, role), want in cases.items():
            got = tuple(may(actor_for(u), permission, Target(kecamatan_id=kec, account_role=role))
                        for u in ("admin", "koordinator", "camat-gerunggang", "petugas"))
            assert got == want, (permission, kec, role)
    assert [may(actor_for(u), Permission.ACCOUNT_ADMIN, Target(kecamatan_id=gerunggang, account_role=Role.COURIER))
            for u in ("admin", "koordinator", "camat-gerunggang")] == [True, False, False]


def test_revoke_stops_sessions_and_tokens_at_once(app, client, session):
    user = field_account(session, "kurir-")
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    phone = app.test_client()
    assert login(phone, user.username, card.pin).status_code == 302
    _token, secret = create_token(session, Actor.system("test"), scopes=["read:deliveries"], username=user.username)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/deliveries", headers=headers).status_code == 200
    log_in_as(client, session, "camat-gerunggang")
    assert post(client, f"/admin/pengguna/{user.id}/cabut").status_code == 303
    assert not user.active
    assert client.get("/api/v1/deliveries", headers=headers).status_code == 401
    response = phone.get("/akun/sandi-baru")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(phone, user.username, card.pin).status_code == 400
    assert post(client, f"/admin/pengguna/{user.id}/aktifkan").status_code == 303 and user.active
    entry = session.scalars(select(AuditEntry).where(AuditEntry.entity_id == user.id, AuditEntry.entity_type == "app_user")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.action == "user.reactivated" and entry.actor_label == "camat-gerunggang"


def test_reprint_renews_only_the_cards_not_used_yet(client, session):
    admin = Actor.system("test")
    gerunggang = kecamatan(session, "Gerunggang").id
    medics = session.scalars(select(User).where(User.role == Role.MEDIC, User.username != "medis")).all()
    used = field_accounts.reset_pin(session, admin, medics[0].id)
    assert login(client, medics[0].username, used.pin).status_code == 302
    accounts.set_first_password(session, Actor.from_user(medics[0]), medics[0].id, NEW_PASSWORD)
    cards = field_accounts.reprint(session, admin, gerunggang, [Role.MEDIC])
    assert {c.username for c in cards} == {m.username for m in medics[1:]}
    assert accounts.authenticate(session, medics[0].username, NEW_PASSWORD) is not None


# --- the list and readiness ---

def test_the_list_of_a_kecamatan_coordinator_holds_only_their_field_staff(client, session):
    field_accounts.provision(session, Actor.system("test"), kecamatan(session, "Bukit Intan").id, [Role.COURIER],
                             issue_pins=False)
    log_in_as(client, session, "camat-gerunggang")
    page = client.get("/admin/pengguna?role=courier&masuk=belum").get_data(as_text=True)
    shown = set(re.findall(r'data-username="([^"]+)"', page))
    assert shown and all(name.startswith("kurir-197105-") or name == "kurir" for name in shown)
    assert "koordinator" not in shown and "admin" not in shown
    everyone = set(re.findall(r'data-username="([^"]+)"', client.get("/admin/pengguna").get_data(as_text=True)))
    assert "camat-gerunggang" not in everyone and "petugas" not in everyone  # petugas is in Bukit Intan
    assert "tps-1971051001-001" in everyone
    log_in_as(client, session, "admin")
    assert "kurir-197101-1" in client.get("/admin/pengguna?role=courier").get_data(as_text=True)


def test_readiness_csv_lists_who_has_not_logged_in_with_formulas_neutralised(client, session):
    user = field_account(session)
    user.person.name = "=HYPERLINK(\"http://x\")"
    save(session)
    log_in_as(client, session, "camat-gerunggang")
    response = client.get("/admin/pengguna/kesiapan.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_user = {r["nama_pengguna"]: r for r in rows}
    assert by_user[user.username]["nama"].startswith("'=")
    assert by_user[user.username]["status"] == "Belum pernah masuk"
    assert {r["kecamatan"] for r in rows} == {"Gerunggang"}
    assert sum(r["peran"] == "Petugas TPS" for r in rows) == 52
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    assert login(client, user.username, card.pin).status_code == 302
    log_in_as(client, session, "camat-gerunggang")
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/pengguna/kesiapan.csv").get_data(as_text=True)
                                           .lstrip("\ufeff"))))
    assert user.username not in {r["nama_pengguna"] for r in rows}
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'id="readiness"' in dashboard and "Petugas TPS 1/52" in dashboard


def test_the_accounts_list_of_another_kecamatan_is_refused_not_empty(client, session):
    """`?kecamatan=<other>` is a 403 for a kecamatan coordinator (issue 24, finding 9), like every other page."""
    log_in_as(client, session, "camat-gerunggang")
    mine, other = kecamatan(session, "Gerunggang").id, kecamatan(session, "Bukit Intan").id
    assert client.get(f"/admin/pengguna?kecamatan={mine}").status_code == 200
    assert client.get(f"/admin/pengguna?kecamatan={other}").status_code == 403
