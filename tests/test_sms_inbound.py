"""SMS in and out through the fake gateway, end to end: a signed webhook → the same services as the forms
(permission, audit, events) → the stored SMS and its reply → the worker hands the reply to the gateway;
a merah's notice to the station's phone through a real `deliver_pending` pass; status callbacks."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select, update

from logistics.models import (
    AuditEntry, DeliveryStatus, EventDelivery, HealthIncident, MedicStation, OutboxEvent, Person,
    SmsInbound, SmsOutbound, Tps, TpsStatus, User,
)
from logistics.rules.phones import normalise_phone
from logistics.timeutil import utcnow
from siaga.config import FAKE_SMS
from siaga.sms.fake_gateway import fake_for
from siaga.sms.gateway import gateway_for
from siaga.worker.channels import channels_for
from siaga.worker.outbox import deliver_pending
from siaga.worker.sms import send_queued_replies
from tests.factories import meal, other_tps, save

UNKNOWN = "+6289999999999"


@pytest.fixture()
def sms(app, session):
    """SMS on (the fake gateway, in process) for this test only; the fake, with nothing sent yet."""
    saved = {name.upper(): app.config.get(name.upper()) for name in ("sms_gateway", *FAKE_SMS)}
    app.config.update({"SMS_GATEWAY": "fake", **{k.upper(): v for k, v in FAKE_SMS.items()}})
    for key in ("siaga_sms_gateway", "siaga_fake_sms", "siaga_channels"):
        app.extensions.pop(key, None)
    session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    session.commit()
    yield fake_for(app)
    app.config.update(saved)
    for key in ("siaga_sms_gateway", "siaga_fake_sms", "siaga_channels"):
        app.extensions.pop(key, None)


def officer(session, username="petugas") -> User:
    return session.scalar(select(User).where(User.username == username))


def phone_of(user: User) -> str:
    return user.person.phone


def text_in(client, sms, phone, text, message_id=None):
    body, headers = sms.received(phone, text, message_id=message_id)
    return client.post("/sms/webhook", data=body, headers=headers)


def replies(session, number):
    return [r.text for r in session.scalars(select(SmsOutbound).where(SmsOutbound.phone == number)
                                            .order_by(SmsOutbound.id))]


def test_an_officer_posts_present_by_sms_with_the_forms_audit_and_a_reply(app, client, session, sms):
    user = officer(session)
    answer = text_in(client, sms, phone_of(user), "hadir  6")
    assert answer.status_code == 200 and answer.get_json()["result"] == "stored"
    tps = session.get(Tps, user.tps_id)
    session.refresh(tps)
    assert tps.officers_present == 6
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "tps.officers_present")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_label == "petugas"
    number = normalise_phone(phone_of(user))
    assert replies(session, number) == [f"Tercatat {tps.label} ({tps.code}): 6 petugas hadir."]
    with app.app_context():  # the worker's job hands it to the gateway
        assert send_queued_replies(session, gateway_for(app)) == 1
    assert sms.sent[-1]["phoneNumbers"] == [number] and "6 petugas hadir" in sms.sent[-1]["text"]
    assert session.scalar(select(SmsOutbound.status).where(SmsOutbound.phone == number)) == "pending"


def test_the_same_sms_three_times_is_stored_once_and_answered_once(client, session, sms):
    user = officer(session)
    for _ in range(3):
        assert text_in(client, sms, phone_of(user), "HADIR 7", message_id="same-sms-1").status_code == 200
    assert session.scalar(select(func.count()).select_from(SmsInbound).where(SmsInbound.message_id == "same-sms-1")) == 1
    assert len(replies(session, normalise_phone(phone_of(user)))) == 1
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "tps.officers_present", AuditEntry.actor_label == "petugas")) == 1


def test_an_unknown_number_gets_one_polite_reply_and_changes_nothing(client, session, sms):
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    for text in ("BUKA", "HADIR 3"):
        assert text_in(client, sms, UNKNOWN, text).get_json()["result"] == "unknown_number"
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    [reply] = replies(session, UNKNOWN)
    assert "belum terdaftar" in reply and len(reply) <= 160


@pytest.mark.parametrize("how", ["bare", "wrong key", "stale", "tampered"])
def test_only_the_gateways_signed_webhook_is_read(client, session, sms, how):
    user = officer(session)
    if how == "bare":
        answer = client.post("/sms/webhook", json={"event": "sms:received", "payload": {
            "messageId": "x1", "message": "BUKA", "phoneNumber": phone_of(user)}})
    else:
        body, headers = sms.received(phone_of(user), "BUKA", message_id="x1", key="other" if how == "wrong key" else None,
                                     timestamp=int(time.time()) - 600 if how == "stale" else None)
        if how == "tampered":
            body = body.replace(b"BUKA", b"SERAH")
        answer = client.post("/sms/webhook", data=body, headers=headers)
    assert answer.status_code == 401
    assert session.scalar(select(func.count()).select_from(SmsInbound)) == 0


def test_the_webhook_is_a_404_where_sms_is_off(client, session):
    assert client.post("/sms/webhook", data=b"{}").status_code == 404


def test_an_officer_changes_only_their_own_tps(client, session, sms):
    user = officer(session)
    other = other_tps(session, user.tps_id)
    status_before = other.status
    answer = text_in(client, sms, phone_of(user), f"BUKA TPS {user.tps.number + 1}")
    assert answer.get_json()["result"] == "refused"
    session.refresh(other)
    assert other.status == status_before
    assert "tidak terdaftar untuk TPS" in replies(session, normalise_phone(phone_of(user)))[-1]


def test_one_phone_for_two_tps_must_name_the_tps(client, session, sms):
    user = officer(session)
    second_tps = session.scalar(select(Tps).where(Tps.kelurahan_id == user.tps.kelurahan_id, Tps.id != user.tps_id))
    second = User(username="petugas-2", full_name="Dua", password_hash="x", role=user.role, tps_id=second_tps.id,
                  person_id=user.person_id)
    session.add(second)
    session.execute(update(Tps).where(Tps.id.in_([user.tps_id, second_tps.id])).values(status=TpsStatus.SETUP))
    session.commit()
    number = normalise_phone(phone_of(user))
    assert text_in(client, sms, phone_of(user), "BUKA").get_json()["result"] == "ambiguous"
    assert "beberapa TPS" in replies(session, number)[-1]
    assert text_in(client, sms, phone_of(user), f"buka tps {second_tps.number}").get_json()["result"] == "stored"
    session.refresh(second_tps)
    assert second_tps.status == TpsStatus.OPEN
    assert session.get(Tps, user.tps_id).status == TpsStatus.SETUP


def test_a_step_out_of_order_is_refused_with_the_reason(client, session, sms):
    user = officer(session)
    session.execute(update(Tps).where(Tps.id == user.tps_id).values(status=TpsStatus.SETUP))
    session.commit()
    assert text_in(client, sms, phone_of(user), "Buka").get_json()["result"] == "stored"
    assert text_in(client, sms, phone_of(user), "BUKA").get_json()["result"] == "refused"
    number = normalise_phone(phone_of(user))
    assert replies(session, number)[-1].startswith("Tidak disimpan")
    assert "dibuka pukul" in replies(session, number)[-2]
    # The time with its zone, as every page writes it: an officer reads the reply with no other clue.
    assert re.search(r"dibuka pukul \d\d:\d\d WIB\.$", replies(session, number)[-2]), replies(session, number)[-2]


def test_a_bad_command_gets_how_to_write_it_and_bantuan_lists_them(client, session, sms):
    user = officer(session)
    number = normalise_phone(phone_of(user))
    assert text_in(client, sms, phone_of(user), "HADIR banyak").get_json()["result"] == "invalid"
    assert "HADIR 6" in replies(session, number)[-1]
    assert text_in(client, sms, phone_of(user), "bantuan").get_json()["result"] == "help"
    assert "MAKAN TERIMA 9" in replies(session, number)[-1] and len(replies(session, number)[-1]) <= 160


def test_meal_received_by_sms(client, session, sms, actor_for):
    from logistics.actor import Actor
    from logistics.services.deliveries import advance_delivery

    user = officer(session)
    delivery = meal(session, user.tps_id)
    if delivery.status != DeliveryStatus.ARRIVED:  # the courier says it is there: the one to confirm
        advance_delivery(session, Actor.system("test"), delivery.id, DeliveryStatus.ARRIVED)
    assert text_in(client, sms, phone_of(user), f"makan trima {delivery.quantity_planned - 1}").get_json()["result"] == "stored"
    session.refresh(delivery)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.quantity_received == delivery.quantity_planned - 1


def test_replies_are_rate_limited_per_number(client, session, sms):
    user = officer(session)
    for i in range(8):
        text_in(client, sms, phone_of(user), "apa")
    assert len(replies(session, normalise_phone(phone_of(user)))) == 5
    assert session.scalar(select(func.count()).select_from(SmsInbound)) == 8


def test_a_merah_by_sms_reaches_the_station_phone_once_and_the_status_comes_back(app, client, session, sms):
    user = officer(session)
    assert text_in(client, sms, phone_of(user), "SAKIT MERAH PINGSAN").get_json()["result"] == "stored"
    incident = session.scalars(select(HealthIncident).order_by(HealthIncident.id.desc())).first()
    assert incident.triage.value == "merah" and incident.complaint == "Pingsan" and incident.tps_id == user.tps_id
    station_phone = normalise_phone(session.get(MedicStation, incident.medic_station_id).contact_phone)
    with app.app_context():
        channels = [c for c in channels_for(app) if c.name == "sms"]
        deliver_pending(session, channels)
        deliver_pending(session, channels)  # a second pass sends nothing again
    to_station = [m for m in sms.sent if m["phoneNumbers"] == [station_phone]]
    assert len(to_station) == 1
    text = to_station[0]["text"]
    assert "MERAH" in text and user.tps.code in text and "Pingsan" not in text and len(text) <= 160
    assert session.scalar(select(EventDelivery.status).where(EventDelivery.channel == "sms",
                                                            EventDelivery.recipient == station_phone)) == "sent"
    row = session.scalar(select(SmsOutbound).where(SmsOutbound.phone == station_phone, SmsOutbound.event_id.is_not(None)))
    body, headers = sms.status("sms:delivered", row.gateway_id, station_phone)
    assert client.post("/sms/webhook", data=body, headers=headers).status_code == 200
    body, headers = sms.status("sms:sent", row.gateway_id, station_phone)  # late, out of order
    client.post("/sms/webhook", data=body, headers=headers)
    session.refresh(row)
    assert row.status == "delivered"


def test_a_person_with_a_push_subscription_gets_no_sms(app, session, sms, actor_for):
    from logistics.models import PushSubscription
    from logistics.services.incidents import report_incident

    medic = officer(session, "medis")
    incident = report_incident(session, actor_for("petugas"), patient_kind="voter", complaint="x", triage="merah",
                               tps_id=actor_for("petugas").tps_id)
    medic.medic_station_id = incident.medic_station_id
    session.commit()
    event = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
    channel = next(c for c in channels_for(app) if c.name == "sms")
    medic_phone = normalise_phone(medic.person.phone)
    with app.app_context():
        assert medic_phone in channel.recipients(session, event)
        session.add(PushSubscription(user_id=medic.id, endpoint="https://push.example/x", p256dh="p" * 87,
                                     auth="a" * 22, device="", session_version=medic.session_version))
        session.commit()
        assert medic_phone not in channel.recipients(session, event)


def test_a_failed_send_is_retried_by_the_outbox(app, session, sms, actor_for):
    from logistics.services.incidents import report_incident

    report_incident(session, actor_for("petugas"), patient_kind="voter", complaint="x", triage="merah",
                    tps_id=actor_for("petugas").tps_id)
    session.commit()
    sms.fail_next = 100
    with app.app_context():
        channels = [c for c in channels_for(app) if c.name == "sms"]
        report = deliver_pending(session, channels)
        assert report.failed >= 1 and report.sent == 0
        sms.fail_next = 0
        session.execute(update(EventDelivery).values(claimed_at=utcnow().replace(year=2000)))
        session.commit()
        assert deliver_pending(session, channels).sent == report.failed
    assert session.scalar(select(func.count()).select_from(Person)) > 0


def hostile_bodies(user: User, other_tps: list[Tps], signing_key: str) -> list[tuple[str, bytes, dict]]:
    """200+ bodies as a hostile or broken gateway, or a confused or malicious sender, would post: long,
    binary, Unicode, injection, another number's TPS, each from the officer's own number, an unknown one and
    numbers that are none; then signed bodies that are not the gateway's format, and unsigned ones."""
    import random

    from siaga.sms.fake_gateway import FakeGateway
    from siaga.sms.smsgate import signature

    rng = random.Random(21)
    texts = [
        # long
        "x" * 5000, "9" * 400, "HADIR " + "9" * 300, "BUKA " * 120, "SAKIT " + "UNGU " * 100, "MAKAN TERIMA " + "1" * 50,
        # binary
        "\x00", "a\x00b", "\ud800", "\x1b[2J\x07", "".join(chr(rng.randrange(0, 32)) for _ in range(40)),
        bytes(rng.randrange(256) for _ in range(64)).decode("latin-1"), "\ufeff\ufffe\uffff",
        # Unicode
        "HADIR ٣", "HADIR 六", "SAKIT 頭痛", "🙂🙂🙂", "\N{RIGHT-TO-LEFT OVERRIDE}AKUB", "ХАДИР 6", "B U K A",
        "MAKAN TERIMA 九", "SAKIT UNGU PINGSAN", "\u200b\u200b",
        # injection and format strings
        "HADIR 6; DROP TABLE tps; --", "' OR 1=1 --", "<script>alert(1)</script>", "%s%s%n", "{tps}{0}", "${jndi:ldap://x}",
        "HADIR 6 UNION SELECT password_hash FROM app_user", "../../etc/passwd", "{{7*7}}", "HADIR '6' OR '1'='1'",
        # wrong or missing parts
        "", " ", "HADIR -1", "HADIR 1e9", "HADIR 99999", "HADIR 6 7 8", "TPS", "MAKAN", "MAKAN KURANG", "SAKIT MERAH",
        "SERAH SEKARANG JUGA", "hitung belum", "MAKAN TERIMA 99999",
        # another TPS than the sender's
        *(f"BUKA TPS {t.number}" for t in other_tps), *(f"HADIR 6 TPS {t.number}" for t in other_tps),
        f"SERAH TPS {other_tps[0].code}", "BUKA TPS 999999", "BUKA TPS 0",
    ]
    senders = [user.person.phone, UNKNOWN, "", "abc", "+62" + "9" * 40, "\x00", "0"]
    gateway = FakeGateway("siaga", "x", signing_key)
    bodies = []
    for i, text in enumerate(texts):
        for j, phone in enumerate(senders):
            bodies.append((f"text {i} from {j}", *gateway.received(phone, text, message_id=f"hostile-{i}-{j}")))
    for raw in (b"", b"not json", b"[]", b"null", b'{"event": 5}', b'{"event": "sms:received", "payload": "x"}',
                b'{"event": "sms:received", "payload": {"messageId": null, "message": "BUKA"}}',
                b'{"event": "sms:received", "payload": {"messageId": "m", "phoneNumber": ["a"], "message": {}}}',
                b"\xff\xfe" * 100, b"{" * 10000):
        stamp = str(int(time.time()))
        bodies.append(("signed, not the format", raw, {"X-Timestamp": stamp, "X-Signature": signature(signing_key, raw, stamp)}))
        bodies.append(("unsigned", raw, {}))
    return bodies


def test_200_hostile_bodies_never_5xx_store_nothing_and_each_gets_a_helpful_reply_or_a_refusal(client, session, sms):
    from logistics.rules.sms_commands import GSM7

    user = officer(session)
    others = list(session.scalars(select(Tps).where(Tps.kelurahan_id == user.tps.kelurahan_id, Tps.id != user.tps_id)
                                  .order_by(Tps.number).limit(3)))
    before = [session.scalar(select(func.count()).select_from(m)) for m in (AuditEntry, OutboxEvent, HealthIncident)]
    states = dict(session.execute(select(Tps.id, Tps.status)).all())
    bodies = hostile_bodies(user, others, sms.signing_key)
    assert len(bodies) >= 200
    for what, body, headers in bodies:
        answer = client.post("/sms/webhook", data=body, headers=headers)
        assert answer.status_code < 500, what
        if answer.status_code != 200:  # a refusal that says why
            assert answer.status_code in (400, 401) and answer.get_json()["error"]["message"], what
            continue
        if not what.startswith("text"):  # signed, an event we do not act on: nothing read, nothing stored
            assert answer.get_json().get("ignored") or answer.get_json().get("result") not in (None, "stored"), (
                what, body[:120], answer.get_json())
            continue
        row = session.scalar(select(SmsInbound).where(SmsInbound.message_id == f"hostile-{what[5:].replace(' from ', '-')}"))
        assert row is not None and row.result != "stored", what
        if row.result == "unknown_number":
            continue  # refused; the number told once a day (or not at all: one we cannot write to)
        assert row.result in ("invalid", "refused", "ambiguous") and row.reply, (what, row.result)
        assert len(row.reply) <= 160 and set(row.reply) <= GSM7, row.reply
        assert any(word in row.reply for word in ("HADIR", "BUKA", "MAKAN", "SAKIT", "BANTUAN", "TPS")), row.reply
    assert [session.scalar(select(func.count()).select_from(m)) for m in (AuditEntry, OutboxEvent, HealthIncident)] == before
    assert dict(session.execute(select(Tps.id, Tps.status)).all()) == states
    [told] = [r for r in session.scalars(select(SmsInbound).where(SmsInbound.phone == UNKNOWN)) if r.reply]
    assert "belum terdaftar" in told.reply


def test_meal_not_coming_reaches_the_ketua_and_the_coordinators_without_push(app, session, sms, actor_for):
    from logistics.actor import Actor
    from logistics.models import PersonRole
    from logistics.services.deliveries import advance_delivery

    user = officer(session)
    delivery = meal(session, user.tps_id)
    advance_delivery(session, Actor.system("test"), delivery.id, DeliveryStatus.FAILED, reason="vendor")
    event = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
    ketua = session.scalar(select(Person).where(Person.tps_id == user.tps_id, Person.role == PersonRole.KPPS_KETUA))
    channel = next(c for c in channels_for(app) if c.name == "sms")
    with app.app_context():
        numbers = channel.recipients(session, event)
        assert normalise_phone(ketua.phone) in numbers
        coordinator = officer(session, "koordinator")
        if coordinator.person is not None and coordinator.person.phone:
            assert normalise_phone(coordinator.person.phone) in numbers
        deliver_pending(session, [channel])
    [notice] = [m for m in sms.sent if m["phoneNumbers"] == [normalise_phone(ketua.phone)]]
    assert "tidak datang" in notice["text"] and user.tps.code in notice["text"]


def test_sms_simulate_posts_a_signed_webhook_and_prints_the_reply(app, session, sms):
    user = officer(session)
    result = app.test_cli_runner().invoke(args=["sms-simulate", phone_of(user), "HADIR 4"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("stored: Tercatat") and "4 petugas hadir" in result.output


def test_the_admin_sees_conversations_failures_and_unknown_senders(app, client, session, sms):
    from tests.field_client import log_in_as

    user = officer(session)
    text_in(client, sms, phone_of(user), "HADIR 5")
    text_in(client, sms, UNKNOWN, "halo")
    sms.fail_next = 1
    with app.app_context():
        send_queued_replies(session, gateway_for(app))
    log_in_as(client, session, "admin")
    page = client.get("/admin/sms").get_data(as_text=True)
    assert "HADIR 5" in page and "petugas" in page and UNKNOWN in page and "device offline" not in page
    assert "500" in page  # the failed reply and the gateway's answer
    tps_id = user.tps_id
    assert f"tps.officers_present (tps {tps_id})" in page  # what the SMS changed, from the audit trail


def test_a_merah_without_response_reaches_the_kecamatan_coordinators_phone(app, session, sms):
    from logistics.events import Event, EventKind, raise_event

    camat = officer(session, "camat-gerunggang")
    tps = session.scalar(select(Tps).join(Tps.kelurahan).where(Tps.kelurahan.has(kecamatan_id=camat.kecamatan_id)))
    raise_event(session, Event(EventKind.ALERT_RAISED, "health_incident", 1, camat.kecamatan_id,
                               {"alert": "merah_no_response", "severity": "critical", "tps_id": tps.id}))
    session.commit()
    event = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc())).first()
    channel = next(c for c in channels_for(app) if c.name == "sms")
    with app.app_context():
        assert camat.phone and normalise_phone(camat.phone) in channel.recipients(session, event)
        deliver_pending(session, [channel])
    [notice] = [m for m in sms.sent if m["phoneNumbers"] == [camat.phone]]
    assert "belum ditangani" in notice["text"] and tps.code in notice["text"]


def test_set_phone_is_audited_and_a_coordinator_can_then_text_bantuan(app, client, session, sms):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["set-phone", "koordinator", "0812 1111 2222"]).output.strip() == "koordinator: +6281211112222"
    assert runner.invoke(args=["set-phone", "koordinator", "xyz"]).exit_code != 0
    assert session.scalar(select(AuditEntry.actor_label).where(AuditEntry.action == "user.phone")) == "cli"
    assert text_in(client, sms, "6281211112222", "BANTUAN").get_json()["result"] == "help"
    assert text_in(client, sms, "6281211112222", "BUKA").get_json()["result"] == "refused"  # not an officer


def test_a_day_by_sms_reaches_the_station_and_shows_on_the_coordinators_map(app, client, session, sms):
    """Done when: the officer opens the TPS, confirms a meal and reports a merah by SMS (the gateway's signed
    webhook); the worker's own jobs hand the notice to the gateway's REST API for the receiving station's
    phone and its duty medic, and the replies to the officer; the coordinator's map data and API show it."""
    from logistics.actor import Actor
    from logistics.services.api_tokens import create_token
    from logistics.services.deliveries import advance_delivery
    from siaga.worker import JOBS, jobs, run_job  # noqa: F401  (registers the jobs)
    from tests.test_auth import login

    user = officer(session)
    number = normalise_phone(phone_of(user))
    session.execute(update(Tps).where(Tps.id == user.tps_id).values(status=TpsStatus.SETUP))
    delivery = meal(session, user.tps_id)
    advance_delivery(session, Actor.system("test"), delivery.id, DeliveryStatus.ARRIVED)  # the courier's "sampai"
    session.execute(update(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).values(dispatched_at=utcnow()))
    session.commit()

    for text in ("buka", f"MAKAN TERIMA {delivery.quantity_planned}", "sakit merah pingsan"):
        assert text_in(client, sms, phone_of(user), text).get_json()["result"] == "stored", text
    incident = session.scalars(select(HealthIncident).order_by(HealthIncident.id.desc())).first()
    station_phone = normalise_phone(session.get(MedicStation, incident.medic_station_id).contact_phone)
    duty_medic = officer(session, "medis")
    assert duty_medic.medic_station_id == incident.medic_station_id
    medic_phone = normalise_phone(duty_medic.person.phone)

    job = {j.name: j for j in JOBS}
    run_job(app, job["deliver_outbox"])
    run_job(app, job["send_sms_replies"])
    run_job(app, job["deliver_outbox"])  # a second pass sends nothing again
    to = {phone: [m["text"] for m in sms.sent if m["phoneNumbers"] == [phone]]
          for phone in (station_phone, medic_phone, number)}
    for phone in (station_phone, medic_phone):
        [notice] = to[phone]
        assert "MERAH" in notice and user.tps.code in notice and "Pingsan" not in notice and len(notice) <= 160
    assert len(to[number]) == 3 and "dibuka pukul" in to[number][0] and "diterima" in to[number][1]
    assert "Pos kesehatan diberi tahu" in to[number][2]

    coordinator = app.test_client()
    login(coordinator, "koordinator")
    city = "105.9,-2.4,106.4,-1.9"
    points = coordinator.get(f"/map/data/tps.geojson?bbox={city}&zoom=14").get_json()["features"]
    [point] = [p["properties"] for p in points if p["properties"].get("id") == user.tps_id]
    assert point["status"] == TpsStatus.OPEN.value
    incidents = coordinator.get(f"/map/data/incidents.geojson?bbox={city}").get_json()["features"]
    [shown] = [f["properties"] for f in incidents if f["properties"]["id"] == incident.id]
    assert shown["triage"] == "merah" and shown["complaint"] == "Pingsan"
    _t, secret = create_token(session, Actor.system("test"), scopes=["read:deliveries"], username="koordinator")
    api = coordinator.get(f"/api/v1/deliveries/{delivery.id}", headers={"Authorization": f"Bearer {secret}"})
    assert api.get_json()["status"] == "delivered"
    assert api.get_json()["quantity_received"] == delivery.quantity_planned


def test_the_worker_job_sends_replies_only_where_sms_is_on(app, client, session, sms):
    from siaga.worker import JOBS, jobs, run_job  # noqa: F401  (registers the jobs)

    found = next(j for j in JOBS if j.name == "send_sms_replies")
    assert found.enabled(app) and not found.enabled(type("App", (), {"config": {}})())
    text_in(client, sms, UNKNOWN, "halo")
    sms.fail_next = 1
    assert run_job(app, found) == 0  # the gateway is down: kept queued, tried again later
    row = session.scalar(select(SmsOutbound).where(SmsOutbound.phone == UNKNOWN))
    assert (row.status, row.attempts) == ("queued", 1)
    session.execute(update(SmsOutbound).where(SmsOutbound.id == row.id).values(status_at=utcnow().replace(year=2000)))
    session.commit()
    assert run_job(app, found) == 1
    assert run_job(app, found) == 0  # sent once
    assert [m["phoneNumbers"] for m in sms.sent] == [[UNKNOWN]]


def test_a_worker_killed_between_sending_and_recording_does_not_send_twice(app, session, sms, actor_for):
    from logistics.services.incidents import report_incident

    report_incident(session, actor_for("petugas"), patient_kind="voter", complaint="x", triage="merah",
                    tps_id=actor_for("petugas").tps_id)
    session.commit()
    with app.app_context():
        channels = [c for c in channels_for(app) if c.name == "sms"]
        first = deliver_pending(session, channels)
        sent = len(sms.sent)
        assert first.sent == sent > 0
        # As if killed after the gateway took them but before `sent` was recorded: claimed long ago.
        session.execute(update(EventDelivery).where(EventDelivery.channel == "sms").values(
            status="claimed", claimed_at=utcnow().replace(year=2000)))
        session.execute(update(OutboxEvent).values(dispatched_at=None).where(OutboxEvent.id.in_(
            select(EventDelivery.event_id).where(EventDelivery.channel == "sms"))))
        session.commit()
        again = deliver_pending(session, channels)
    assert again.sent == sent and len(sms.sent) == sent  # taken over, and the gateway keeps the first


def test_a_sender_is_found_however_either_side_wrote_the_number(client, session, sms):
    """The person's phone as an import wrote it, the SMS's sender as the gateway did: one form, equality."""
    user = officer(session)
    user.person.phone = "0812-7777 6543"
    save(session)
    assert user.person.phone_e164 == "+6281277776543"
    for sender in ("+62 812 7777 6543", "6281277776543", "081277776543"):
        assert text_in(client, sms, sender, "BANTUAN").get_json()["result"] == "help", sender
    user.person.phone = None
    save(session)
    assert text_in(client, sms, "081277776543", "BANTUAN").get_json()["result"] == "unknown_number"


def test_a_ketua_who_texts_makan_tidak_is_not_told_of_it_the_coordinators_are(app, client, session, sms):
    from logistics.models import PersonRole

    user = officer(session)  # the demo's petugas is the TPS's ketua
    assert user.person.role == PersonRole.KPPS_KETUA
    meal(session, user.tps_id)
    assert text_in(client, sms, phone_of(user), "MAKAN TIDAK").get_json()["result"] == "stored"
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "delivery.not_coming")
                            .order_by(OutboxEvent.id.desc())).first()
    assert event.data["tps_id"] == user.tps_id and event.data["by_user"] == user.id
    channel = next(c for c in channels_for(app) if c.name == "sms")
    with app.app_context():
        numbers = channel.recipients(session, event)
    assert normalise_phone(phone_of(user)) not in numbers  # the reply told the ketua; no notice
    assert officer(session, "koordinator").phone in numbers  # the city's coordinator is told
