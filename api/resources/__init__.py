"""The API's resources, one module each, with their marshmallow schemas."""
from api.resources import deliveries, health, incidents, summary, tps, wilayah

BLUEPRINTS = [wilayah.blp, tps.blp, deliveries.blp, incidents.blp, health.blp, summary.blp]
