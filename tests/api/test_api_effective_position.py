"""The API gives an incident at a TPS the TPS's position as its effective one; `lat`/`lon` stay as reported."""
from tests.test_incident_position import _two_incidents


def test_api_gives_the_effective_position_next_to_the_reported_one(client, session, actor_for, bearer):
    tps, at_tps, at_point = _two_incidents(session, actor_for)
    headers = bearer()
    one = client.get(f"/api/v1/incidents/{at_tps.id}", headers=headers).get_json()
    assert one["lat"] is None and one["lon"] is None
    assert (one["effective_lat"], one["effective_lon"]) == (tps.lat, tps.lon)
    items = {i["id"]: i for i in client.get("/api/v1/incidents?limit=200", headers=headers).get_json()["items"]}
    assert (items[at_tps.id]["effective_lat"], items[at_tps.id]["effective_lon"]) == (tps.lat, tps.lon)
    assert (items[at_point.id]["effective_lat"], items[at_point.id]["lat"]) == (-2.1301, -2.1301)
    assert all(i["effective_lat"] is not None and i["effective_lon"] is not None for i in items.values())
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]["Incident"]["properties"]
    assert "effective_lat" in schema and "effective_lon" in schema
