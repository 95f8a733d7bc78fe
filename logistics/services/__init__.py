"""Service functions: the only code that changes domain records.

Each takes a SQLAlchemy session, an Actor and plain values; checks permissions and rules;
writes the audit trail; runs in a unit of work (logistics/services/unit_of_work.py: its caller's, or its
own through `@in_unit_of_work`) that commits the change with its events, data versions and coverage;
and raises a typed error from `logistics.errors`. The field pages and the JSON API both call these.
"""
