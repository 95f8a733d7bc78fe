"""Alert sources; importing this package registers each of them with `logistics.queries.alerts`."""
from logistics.queries.alert_sources import fatigue  # noqa: F401
from logistics.queries.alert_sources import tps_not_open  # noqa: F401
from logistics.queries.alert_sources import meal_late  # noqa: F401
from logistics.queries.alert_sources import merah_no_response  # noqa: F401
from logistics.queries.alert_sources import below_quorum  # noqa: F401
