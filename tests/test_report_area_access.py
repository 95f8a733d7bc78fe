"""The situation report's area (maps/reports_web.py) is loaded through the shared read check
(`read_scope.load_visible`): for each role that may see figures, an area it may see is a report, an id that
names no area a 404, another's area a 403 (never a 500)."""
import pytest
from sqlalchemy import func, select

from logistics.models import Kecamatan, Kota, User
from tests.test_auth import login

NO_SUCH = 987654


def _areas(session):
    own = session.scalar(select(User.kecamatan_id).where(User.username == "camat-gerunggang"))
    other = session.scalar(select(Kecamatan.id).where(Kecamatan.id != own).order_by(Kecamatan.id))
    return own, other, session.scalar(select(func.min(Kota.id)))


@pytest.mark.parametrize("username", ["admin", "koordinator"])
def test_city_wide_roles_get_any_area_and_404_for_none(client, session, username):
    own, other, kota = _areas(session)
    login(client, username)
    for query, status in ((f"kecamatan={other}", 200), (f"kota={kota}", 200),
                          (f"kecamatan={NO_SUCH}", 404), (f"kota={NO_SUCH}", 404)):
        assert client.get(f"/dashboard/laporan.pdf?{query}").status_code == status, (username, query)


def test_a_kecamatan_coordinator_gets_their_own_403_for_another_404_for_none(client, session):
    own, other, kota = _areas(session)
    login(client, "camat-gerunggang")
    for query, status in ((f"kecamatan={own}", 200), (f"kota={kota}", 200), ("", 200),
                          (f"kecamatan={other}", 403), (f"kecamatan={NO_SUCH}", 403), (f"kota={NO_SUCH}", 404)):
        assert client.get(f"/dashboard/laporan.pdf?{query}").status_code == status, query


@pytest.mark.parametrize("username", ["petugas", "kurir", "medis"])
def test_field_roles_get_no_report(client, session, username):
    _own, other, _kota = _areas(session)
    login(client, username)
    assert client.get(f"/dashboard/laporan.pdf?kecamatan={other}").status_code == 403

