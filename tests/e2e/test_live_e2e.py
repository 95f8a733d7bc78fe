"""Pages that stay current (issue 20, items 3 and 5), in phone-sized headless Chromium.

A medic's station page is open; another phone (the officer) reports a merah; the medic's page shows it
highlighted within 10 s without navigating, and a note half typed in an open form survives the swap. The
officer's page then shows the station's phone, what to do while waiting and the live status. An officer's
TPS page says "Makanan sampai — konfirmasi" as soon as the meal is marked arrived.
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from logistics.models import (
    DeliveryStatus, IncidentStatus, Kecamatan, Kelurahan, Tps, TpsStatus, User,
)
from logistics.services.deliveries import advance_delivery, correct_delivery
from logistics.services.incidents import advance_incident, report_incident
from tests.e2e.conftest import actor, log_in, log_in_field, new_phone, planned_meal, screenshot

pytestmark = pytest.mark.e2e
SHOWN_WITHIN_MS = 10_000  # the deadline for a change to reach an open page


def test_new_merah_reaches_the_open_station_page_and_typed_note_survives(phone, browser, live_server, e2e_session):
    errors = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    # An incident the medic is already treating: its card has the "Rujuk" form with a note field.
    treating = report_incident(e2e_session, actor(e2e_session, "koordinator"), patient_kind="voter",
                               complaint="pusing/hipertensi", triage="kuning", tps_id=officer.tps_id)
    advance_incident(e2e_session, actor(e2e_session, "medis"), treating.id, IncidentStatus.RESPONDING)

    log_in_field(phone, live_server, "medis")
    assert "/lapangan/pos/" in phone.url
    phone.wait_for_function("() => window.siagaLive !== undefined")
    phone.evaluate("window.__samePage = true")
    phone.click(f"#rujuk-{treating.id} summary")
    note = phone.locator(f"#notes-{treating.id}")
    note.fill("Tekanan darah 180/110, sudah")
    note.focus()

    # Another phone: the officer reports a merah at their TPS.
    context, officer_phone = new_phone(browser)
    try:
        log_in_field(officer_phone, live_server, "petugas")
        officer_phone.goto(live_server + "/lapangan/kejadian/baru")
        officer_phone.wait_for_function("() => window.siagaOutbox !== undefined")
        officer_phone.check("input[name=patient_kind][value=officer]")
        officer_phone.click("label.choice:has-text('pingsan')")
        officer_phone.click("label.triage-choice.triage-merah")
        officer_phone.click("#incident-form button[type=submit]")
        officer_phone.wait_for_url(re.compile(r".*/lapangan/kejadian/\d+$"))
        new_id = int(officer_phone.url.rstrip("/").split("/")[-1])

        # The medic's page: highlighted within 10 s, no navigation, the note and its place kept.
        card = phone.locator(f"#kejadian-{new_id}")
        expect(card).to_have_class("card incident alarm", timeout=SHOWN_WITHIN_MS)
        assert phone.evaluate("window.__samePage") is True
        assert phone.locator(f"#rujuk-{treating.id}").evaluate("d => d.open")
        assert note.input_value() == "Tekanan darah 180/110, sudah"
        assert phone.evaluate("document.activeElement.id") == f"notes-{treating.id}"
        assert int(phone.evaluate("document.body.dataset.alarmRings")) >= 1
        assert "MERAH" in card.inner_text()
        screenshot(phone, "live-station-new-merah-390x844")

        # The officer's page after the report: the station, its phone to tap, what to do while waiting.
        call = officer_phone.locator("a.call")
        assert call.get_attribute("href").startswith("tel:")
        assert "posisi pemulihan" in officer_phone.locator("#sambil-menunggu").inner_text()
        screenshot(officer_phone, "live-officer-after-report-390x844")

        # The medic acknowledges (the respond step); the officer's open page follows by itself.
        officer_phone.evaluate("window.__samePage = true")
        card.locator("button", has_text="Menuju").click()
        phone.wait_for_url("**/lapangan/pos/*")
        expect(phone.locator(f"#kejadian-{new_id}")).not_to_have_class("card incident alarm")
        expect(officer_phone.locator(".status-responding")).to_be_visible(timeout=SHOWN_WITHIN_MS)
        assert officer_phone.evaluate("window.__samePage") is True
        screenshot(officer_phone, "live-officer-responding-390x844")
    finally:
        context.close()
    assert errors == []


def test_officer_sees_meal_arrived_without_reloading(phone, live_server, e2e_session):
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    meal = planned_meal(e2e_session, officer.tps_id)  # put back as planned at the end
    log_in_field(phone, live_server, "petugas")
    phone.wait_for_function("() => window.siagaLive !== undefined")
    phone.evaluate("window.__samePage = true")
    assert phone.locator("text=Makanan sampai").count() == 0

    coordinator = actor(e2e_session, "koordinator")  # stands in for the courier's phone
    advance_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.DISPATCHED)
    advance_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.ARRIVED)
    try:
        banner = phone.locator(f"#sampai-{meal.id}")
        expect(banner).to_contain_text("Makanan sampai — konfirmasi", timeout=SHOWN_WITHIN_MS)
        assert phone.evaluate("window.__samePage") is True
        screenshot(phone, "live-officer-meal-arrived-390x844")
        banner.locator("a.button").click()
        phone.wait_for_url(f"**/kiriman#kiriman-{meal.id}")
        assert "Konfirmasi diterima" in phone.locator(f"#kiriman-{meal.id}").inner_text()
    finally:
        correct_delivery(e2e_session, coordinator, meal.id, DeliveryStatus.PLANNED, "e2e: kembali direncanakan")


def test_idle_check_is_small_on_the_wire(phone, live_server):
    """What the phone really sends and gets for an unchanged page (headers as Chromium sent and received
    them, request and status lines, no body): at most 1 KB."""
    log_in_field(phone, live_server, "medis")
    phone.wait_for_function("() => window.siagaLive !== undefined")
    with phone.expect_response(lambda r: r.status == 304, timeout=15_000) as seen:
        phone.evaluate("window.siagaLive.now()")
    response = seen.value
    path = response.url.removeprefix(live_server)
    head = len(f"GET {path} HTTP/1.1\r\n") + len("HTTP/1.1 304 NOT MODIFIED\r\n") + 4
    head += sum(len(k) + len(v) + 4 for k, v in response.request.all_headers().items())
    head += sum(len(k) + len(v) + 4 for k, v in response.all_headers().items())
    assert "set-cookie" not in response.all_headers()
    print("idle check on the wire:", head, "bytes")
    assert head <= 1024, (head, response.request.all_headers(), response.all_headers())


def test_dashboard_follows_a_report_on_a_command_post_screen(desktop, live_server, e2e_session):
    log_in(desktop, live_server, "koordinator")
    desktop.wait_for_function("() => window.siagaLive !== undefined")
    desktop.evaluate("window.__samePage = true")
    swaps = int(desktop.evaluate("document.body.dataset.liveSwaps || '0'"))
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    report_incident(e2e_session, actor(e2e_session, "koordinator"), patient_kind="voter", complaint="pingsan",
                    triage="merah", tps_id=officer.tps_id)
    desktop.wait_for_function(f"() => Number(document.body.dataset.liveSwaps || 0) > {swaps}",
                              timeout=SHOWN_WITHIN_MS)
    assert desktop.evaluate("window.__samePage") is True
    screenshot(desktop, "live-dashboard-1366x768")


def test_map_keeps_an_open_popup_while_its_layer_refreshes(desktop, live_server, e2e_session):
    """A new incident redraws the incidents layer; the popup the coordinator had open stays open."""
    tps = e2e_session.scalars(select(Tps).join(Kelurahan).join(Kecamatan).where(
        Kecamatan.nama == "Gerunggang", Tps.status == TpsStatus.SETUP).order_by(Tps.code).limit(1)).one()
    camat = actor(e2e_session, "camat-gerunggang")
    first = report_incident(e2e_session, camat, patient_kind="voter", complaint="kelelahan", triage="kuning",
                            tps_id=tps.id)
    page, errors = desktop, []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server, "koordinator")
    page.goto(live_server + "/map")
    page.wait_for_function("() => window.SIAGA_MAP && window.SIAGA_MAP.loads > 0")
    loads = page.evaluate("window.SIAGA_MAP.loads")
    page.evaluate(f"void window.SIAGA_MAP.map.setView([{tps.lat}, {tps.lon}], 17)")
    page.wait_for_function(f"() => window.SIAGA_MAP.loads > {loads} && window.SIAGA_MAP.incidents"
                           f" && window.SIAGA_MAP.incidents[{first.id}]")
    page.evaluate(f"""void window.SIAGA_MAP.layers.incidents.eachLayer(function (l) {{
        if (l.incidentId === {first.id}) {{ l.openPopup(); }} }})""")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(f"#{first.id}")
    page.evaluate("window.__samePage = true")

    second = report_incident(e2e_session, camat, patient_kind="officer", complaint="pingsan", triage="merah",
                             tps_id=tps.id)
    page.wait_for_function(f"() => !!window.SIAGA_MAP.incidents[{second.id}]", timeout=SHOWN_WITHIN_MS)
    # The redrawn layer's marker of that incident has the popup open (the old marker's fades out).
    still_open = page.evaluate(f"""() => {{ let open = false;
        window.SIAGA_MAP.layers.incidents.eachLayer(function (l) {{
            if (l.incidentId === {first.id} && l.isPopupOpen()) {{ open = true; }} }});
        return open; }}""")
    assert still_open
    expect(page.locator(".leaflet-popup")).to_have_count(1)
    expect(popup).to_contain_text(f"#{first.id}")
    assert page.evaluate("window.__samePage") is True
    screenshot(page, "live-map-popup-kept-1366x768")
    assert errors == []


def test_a_step_waiting_in_the_queue_stays_marked_across_a_swap(phone, live_server, e2e_session):
    """field.js marks a card whose step waits in the phone's queue; a live swap brings a fresh card, and
    the mark (and the held buttons) must be on it again."""
    officer = e2e_session.scalar(select(User).where(User.username == "petugas"))
    coordinator = actor(e2e_session, "koordinator")
    waiting = report_incident(e2e_session, coordinator, patient_kind="voter", complaint="kelelahan", triage="hijau",
                              tps_id=officer.tps_id)
    log_in_field(phone, live_server, "medis")
    phone.wait_for_function("() => window.siagaLive !== undefined")
    # The step cannot reach the server (a post that never gets through): it stays queued, retried.
    phone.route("**/lapangan/kejadian/*/status", lambda route: route.abort())
    card = phone.locator(f"#kejadian-{waiting.id}")
    card.locator("button", has_text="Menuju").click()
    expect(card).to_have_class(re.compile(r"\bpending\b"))
    swaps = int(phone.evaluate("document.body.dataset.liveSwaps || '0'"))

    report_incident(e2e_session, coordinator, patient_kind="voter", complaint="pingsan", triage="merah",
                    tps_id=officer.tps_id)
    phone.wait_for_function(f"() => Number(document.body.dataset.liveSwaps || 0) > {swaps}", timeout=SHOWN_WITHIN_MS)
    card = phone.locator(f"#kejadian-{waiting.id}")
    expect(card).to_have_class(re.compile(r"\bpending\b"))
    assert "Menunggu dikirim" in card.locator(".pending-note").inner_text()
    assert card.locator("button", has_text="Menuju").is_disabled()
    screenshot(phone, "live-station-pending-kept-390x844")
    phone.unroute("**/lapangan/kejadian/*/status")
    phone.evaluate("window.siagaOutbox.flush()")
    phone.wait_for_function("() => window.siagaOutbox.pending() === 0", timeout=30_000)
