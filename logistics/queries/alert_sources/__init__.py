"""Alert sources; importing this package registers each of them with `logistics.queries.alerts`."""
from logistics.queries.alert_sources import (  # noqa: F401
    below_quorum, fatigue, meal_at_risk, meal_late, meal_shortage, meal_unconfirmed, merah_no_response, roster_gap,
    tps_not_open,
)
