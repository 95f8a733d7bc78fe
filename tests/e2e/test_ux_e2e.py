"""Phone-sized pages against long typed text, and the medic's place picker (issue 13, item 7)."""
import pytest
from sqlalchemy import select

from logistics.models import Delivery, DeliveryStatus, IncidentStatus, Tps, User
from logistics.services.deliveries import advance_delivery
from logistics.services.incidents import advance_incident, report_incident
from tests.e2e.conftest import actor, log_in, screenshot

pytestmark = pytest.mark.e2e
LONG_WORD = "Sangatpanjang" * 12 + "abcd"  # 160 characters, no space to break at


def no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def buttons_spilling_text(page) -> list[str]:
    """Buttons (and links shown as buttons) whose text runs out of their box or over half its padding: the
    page does not scroll sideways, yet the words are cut off at (or squeezed against) the button's edges."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('main a.button, main button'))
        .filter(b => b.offsetParent !== null)
        .filter(b => { const box = b.getBoundingClientRect(), style = getComputedStyle(b);
            const left = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft) / 2;
            const right = box.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight) / 2;
            const range = document.createRange();
            range.selectNodeContents(b);
            return Array.from(range.getClientRects()).some(r => r.width > 0 && (r.left < left || r.right > right)); })
        .map(b => b.textContent.trim())""")


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


def test_the_station_phone_button_fits_beside_its_neighbour_on_the_tps_page(phone, live_server, e2e_session):
    """After a report the officer's TPS page shows "☎ Telepon <station phone>" beside "Yang harus dilakukan",
    each half of a 390 px screen: the number wraps under the word instead of spilling past both edges."""
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    incident = report_incident(e2e_session, actor(e2e_session, "koordinator"), patient_kind="voter",
                               complaint="pusing/hipertensi", triage="hijau", tps_id=officer.tps_id)
    try:
        log_in(phone, live_server, "petugas")
        phone.goto(f"{live_server}/lapangan/tps/{officer.tps_id}")
        call = phone.locator(f"#kejadian-tps-{incident.id} a.call")
        assert call.get_attribute("href").startswith("tel:")
        assert buttons_spilling_text(phone) == []
        screenshot(phone, "field-tps-station-phone-390x844")
    finally:
        medic = actor(e2e_session, "medis")
        for step in (IncidentStatus.RESPONDING, IncidentStatus.TREATED_ON_SITE, IncidentStatus.CLOSED):
            advance_incident(e2e_session, medic, incident.id, step)


def test_a_medic_picks_the_place_through_the_tps_search(phone, live_server, e2e_session):
    from logistics.models import HealthIncident
    from logistics.queries.coverage import tps_covered_by

    medic = e2e_session.scalar(select(User).where(User.username == "medis"))
    covered = sorted(tps_covered_by(e2e_session, medic.medic_station_id))
    target = e2e_session.get(Tps, covered[len(covered) // 2])
    log_in(phone, live_server, "medis")
    phone.goto(live_server + "/lapangan/kejadian/baru")
    phone.fill("#cari-tps", f"{target.number} {target.kelurahan.nama.lower()}")
    phone.wait_for_function(f"""() => {{ var s = document.getElementById('tps_id');
        return s.options.length === 2 && s.value === '{target.id}'; }}""")  # one match: chosen at once
    assert f"TPS {target.number:03d} · {target.kelurahan.nama}" in phone.locator("#tps_id option:checked").inner_text()
    assert "1 TPS ditemukan" in phone.locator("#tps-search-status").inner_text()
    phone.check("input[name=patient_kind][value=voter]")
    phone.click("label.choice:has-text('pingsan')")
    phone.click("label.triage-choice.triage-kuning")
    phone.fill("#notes", "Dibawa ke tenda")
    assert phone.locator("#notes-count").inner_text() == "15 dari 2000 karakter"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "field-medic-picks-tps-390x844")
    phone.click("#incident-form button[type=submit]")
    phone.wait_for_selector(".flash:has-text('Laporan terkirim')")
    e2e_session.expire_all()
    incident = e2e_session.scalar(select(HealthIncident).where(HealthIncident.notes == "Dibawa ke tenda")
                                  .order_by(HealthIncident.id.desc()))
    assert incident is not None and incident.tps_id == target.id
