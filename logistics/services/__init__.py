"""Service functions: the only code that changes domain records.

Each takes a SQLAlchemy session, an Actor and plain values; checks permissions and rules;
writes the audit trail; owns the commit; and raises a typed error from `logistics.errors`.
The field pages and the JSON API both call these.
"""

from logistics.services import coverage as _coverage  # noqa: E402,F401 — registers the unit-of-work hook
from logistics.services import data_versions as _data_versions  # noqa: E402,F401 — registers the unit-of-work hooks
from logistics.services import boundary_shapes as _boundary_shapes  # noqa: E402,F401 — registers the flush hook
