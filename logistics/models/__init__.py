"""All models, importable from one place (and registered on the metadata by importing them)."""
from logistics.models.api_token import ApiToken
from logistics.models.audit import AuditEntry
from logistics.models.base import Base
from logistics.models.delivery import Delivery
from logistics.models.drill import DrillClock
from logistics.models.election import Election, ElectionScoped
from logistics.models.enums import (
    CheckinKind,
    DeliveryKind,
    ElectionKind,
    DeliveryStatus,
    FacilityKind,
    IncidentStatus,
    MealRound,
    PatientKind,
    PersonRole,
    RiskTier,
    Role,
    TpsKind,
    TpsStatus,
    Triage,
)
from logistics.models.idempotency import IdempotencyRecord
from logistics.models.job import BackgroundJob
from logistics.models.figures import FigureSnapshot, SituationReport
from logistics.models.map_data import DataVersion, MapGridCell, MapGridState
from logistics.models.health import HealthFacility, HealthIncident, MedicStation, TpsCoverage
from logistics.models.outbox import EventDelivery, OutboxEvent, WorkerHeartbeat
from logistics.models.operations import HealthCheckin, HealthScreening, RosterShift, Vendor
from logistics.models.people import Person
from logistics.models.push import PushSubscription
from logistics.models.settings import ElectionSetting
from logistics.models.sms import SmsInbound, SmsOutbound
from logistics.models.tombstone import Tombstone
from logistics.models.tps import Tps
from logistics.models.user import LoginFailure, User
from logistics.models.webhook import WebhookAttempt, WebhookSubscription
from logistics.models.wilayah import Kecamatan, Kelurahan, Kota

__all__ = [
    "ApiToken", "AuditEntry", "BackgroundJob", "Base", "CheckinKind", "DataVersion", "Delivery", "DeliveryKind", "DeliveryStatus", "DrillClock", "Election", "ElectionKind", "ElectionScoped", "ElectionSetting", "EventDelivery", "OutboxEvent", "FacilityKind",
    "HealthCheckin", "HealthFacility", "HealthScreening", "RiskTier", "RosterShift", "Vendor",
    "FigureSnapshot", "HealthIncident", "IdempotencyRecord", "IncidentStatus", "Kecamatan", "Kelurahan", "Kota", "LoginFailure", "MapGridCell", "MapGridState", "MealRound", "MedicStation",
    "PatientKind", "Person", "PersonRole", "PushSubscription", "Role", "SituationReport", "SmsInbound", "SmsOutbound", "Tombstone", "Tps", "TpsCoverage", "TpsKind", "TpsStatus", "Triage", "User", "WebhookAttempt", "WebhookSubscription", "WorkerHeartbeat",
]

# The one hook that keeps elections apart (registered on every Session by importing it).
import logistics.election_scope  # noqa: E402,F401
