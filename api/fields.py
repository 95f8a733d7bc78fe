"""Input fields that refuse values the database or the clock cannot hold (422, never a 500).

They live in `siaga.fields`, shared with the HTML forms; re-exported here for the API's schemas.
"""
from __future__ import annotations

from siaga.fields import ID_PATH, MAX_ID, Day, Id, Moment, Text

__all__ = ["ID_PATH", "MAX_ID", "Day", "Id", "Moment", "Text"]
