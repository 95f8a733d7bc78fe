"""Phone-sized pages against long typed text, and the medic's place picker (issue 13, item 7)."""
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from logistics.actor import Actor
from logistics.models import Delivery, DeliveryStatus, Tps, User
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import report_incident
from tests.e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e
LONG_WORD = "Sangatpanjang" * 12 + "abcd"  # 160 characters, no space to break at


@pytest.fixture()
def e2e_session(e2e_database_url):
    engine = create_engine(e2e_database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def actor(session, username) -> Actor:
    return Actor.from_user(session.scalar(select(User).where(User.username == username)))


def no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_160_character_word_does_not_widen_phone_pages(phone, live_server, e2e_session):
    assert len(LONG_WORD) == 160
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    tps = e2e_session.get(Tps, officer.tps_id)
    delivery = e2e_session.scalars(select(Delivery).where(
        Delivery.tps_id == tps.id, Delivery.status == DeliveryStatus.PLANNED).order_by(Delivery.id)).first()
    advance_delivery(e2e_session, actor(e2e_session, "koordinator"), delivery.id, DeliveryStatus.DELIVERED,
                     received_by=LONG_WORD)
    incident = report_incident(e2e_session, actor(e2e_session, "koordinator"), patient_kind="officer",
                               complaint=LONG_WORD, triage="kuning", tps_id=tps.id, notes=LONG_WORD,
                               patient_name=LONG_WORD)
    log_in(phone, live_server, "petugas")
    phone.goto(f"{live_server}/lapangan/tps/{tps.id}/kiriman")
    assert LONG_WORD in phone.locator("main").inner_text().replace("\n", "")
    assert no_sideways_scroll(phone) <= 390
    screenshot(phone, "field-deliveries-long-word-390x844")
    phone.goto(f"{live_server}/lapangan/kejadian/{incident.id}")
    assert LONG_WORD in phone.locator("main").inner_text().replace("\n", "")
    assert no_sideways_scroll(phone) <= 390
    screenshot(phone, "field-incident-long-word-390x844")
    log_in(phone, live_server, "medis")
    phone.goto(f"{live_server}/lapangan/pos")
    assert no_sideways_scroll(phone) <= 390
