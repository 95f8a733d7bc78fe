"""Bearer tokens: made by the CLI, stored hashed, revocable; scopes; browser sessions read only."""
from sqlalchemy import select

from logistics.models import ApiToken
from tests.api.conftest import assert_error


def test_no_token_is_401_in_the_error_shape(client):
    response = client.get("/api/v1/tps")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client):
    assert_error(client.get("/api/v1/tps", headers={"Authorization": "Bearer siaga_nope"}), 401)
    assert_error(client.get("/api/v1/tps", headers={"Authorization": "Basic abc"}), 401)


def test_token_reads_what_its_scopes_allow(client, bearer):
    headers = bearer(["read:tps"])
    assert client.get("/api/v1/tps?limit=1", headers=headers).status_code == 200
    error = assert_error(client.get("/api/v1/incidents", headers=headers), 403, "forbidden")
    assert "read:incidents" in error["message"]


def test_cli_creates_lists_and_revokes_a_token(app, client, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-token", "--agency", "KPU", "--scopes", "read:tps,read:wilayah",
                                 "--name", "kpu-dashboard"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("siaga_")
    stored = session.scalar(select(ApiToken).where(ApiToken.name == "kpu-dashboard"))
    assert stored.token_hash != secret and secret not in repr(vars(stored))  # only the hash is kept
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/tps?limit=1", headers=headers).status_code == 200

    listing = runner.invoke(args=["list-tokens"])
    assert "kpu-dashboard" in listing.output and stored.prefix in listing.output and secret not in listing.output

    assert runner.invoke(args=["revoke-token", str(stored.id)]).exit_code == 0
    assert_error(client.get("/api/v1/tps?limit=1", headers=headers), 401)


def test_cli_refuses_unknown_scopes(app):
    result = app.test_cli_runner().invoke(args=["create-token", "--agency", "KPU", "--scopes", "read:everything"])
    assert result.exit_code != 0 and "read:everything" in result.output


def test_token_bound_to_a_user_acts_as_that_user(app, session):
    result = app.test_cli_runner().invoke(args=["create-token", "--user", "petugas", "--scopes", "write:tps-status"])
    assert result.exit_code == 0, result.output
    token = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert token.user.username == "petugas"


def test_browser_session_may_read_but_not_write(logged_in):
    client = logged_in("koordinator")
    assert client.get("/api/v1/incidents").status_code == 200
    response = client.post("/api/v1/incidents", json={"patient_kind": "officer", "complaint": "pingsan",
                                                      "triage": "merah", "tps_id": 1})
    assert_error(response, 403, "forbidden")
