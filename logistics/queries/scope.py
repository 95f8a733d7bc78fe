"""The kecamatan of a TPS or an incident in SQL: now part of the read policy
(`logistics.permissions.read_scope`); imported from here by the aggregate queries."""
from __future__ import annotations

from logistics.permissions.read_scope import incident_in_kecamatan, incident_kecamatan, tps_in_scope, tps_kecamatan

__all__ = ["incident_in_kecamatan", "incident_kecamatan", "tps_in_scope", "tps_kecamatan"]
