"""Alert sources; importing this package registers each of them with `logistics.queries.alerts`."""
from logistics.queries.alert_sources import fatigue  # noqa: F401
from logistics.queries.alert_sources import meal_shortage  # noqa: F401
