"""Alert sources; importing this package registers each of them with `logistics.queries.alerts`."""
from logistics.queries.alert_sources import fatigue, meal_at_risk, meal_shortage, roster_gap  # noqa: F401
