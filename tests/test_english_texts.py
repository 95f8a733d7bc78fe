"""English for what stayed Indonesian (issue 25): counts with plural forms, listed complaints, the risk
reasons a screening stored, and the deliveries export's item column in words."""
from sqlalchemy import select

from logistics.items import unit_label
from logistics.models import Delivery, DeliveryKind
from logistics.queries.exports import delivery_rows
from logistics.rules.complaints import complaint_label
from logistics.rules.risk import assess, reason_label
from logistics.texts import lazy_ngettext, source
from siaga import figure_codec
from siaga.i18n import ngettext


def test_counts_take_the_catalogues_plural_forms(app):
    with app.test_request_context("/?lang=en"):
        assert (str(unit_label("set", 1)), str(unit_label("set", 3))) == ("set", "sets")
        assert (str(unit_label("porsi", 1)), str(unit_label("porsi", 2))) == ("portion", "portions")
        text = "TPS {number} {kelurahan}: {meal} kurang {n} porsi (diterima {received} dari {planned})."
        one = lazy_ngettext(text, text, 1, number="001", kelurahan="Asam", meal="Makan pagi", received=8, planned=9)
        assert str(one) == "TPS 001 Asam: Makan pagi short by 1 portion (received 8 of 9)."
        assert ngettext(text, text, 2, number="001", kelurahan="Asam", meal="x", received=7, planned=9).startswith(
            "TPS 001 Asam: x short by 2 portions")
        # Stored with the figures and read back, it is still the same plural text.
        again = figure_codec.loads(figure_codec.dumps({"m": one}))["m"]
        assert str(again) == str(one) and source(again).startswith("TPS 001 Asam: Makan pagi kurang 1 porsi")
    with app.test_request_context("/"):
        assert str(unit_label("set", 3)) == "set"


def test_listed_complaints_and_stored_risk_reasons_are_shown_in_english(app):
    reasons = assess(165, 95, 210, 61, ("diabetes",)).reasons
    assert reasons[0] == "Tekanan darah 165/95 (hipertensi derajat 2)"  # stored as the medic was told
    with app.test_request_context("/?lang=en"):
        assert [str(reason_label(r)) for r in reasons] == [
            "Blood pressure 165/95 (stage 2 hypertension)", "Random blood sugar 210 mg/dL", "Age 61", "Diabetes"]
        assert str(reason_label("alasan lama yang lain")) == "alasan lama yang lain"  # not the rule's: as stored
        assert str(complaint_label("sesak napas")) == "shortness of breath"
        assert complaint_label("kaki terkilir di tangga") == "kaki terkilir di tangga"  # typed in: data


def test_the_deliveries_export_names_items_in_words(session):
    item = session.scalar(select(Delivery.item).where(Delivery.kind == DeliveryKind.LOGISTICS).limit(1))
    header, rows = delivery_rows(session)
    column = header.index("barang")
    items = {row[column] for row in rows if row[4] != "Konsumsi" and row[column]}
    assert item is not None and items and not any("_" in name for name in items), items
