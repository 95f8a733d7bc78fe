"""Phone numbers in one form: the one rule for "is this the same phone" (SMS senders, recipients, the
stored `Person.phone_e164` and `User.phone` the sender lookup matches by equality). Pure: no database."""
from __future__ import annotations

import re

E164_MAX = 16  # "+" and at most 15 digits (ITU-T E.164)


def normalise_phone(raw: str | None) -> str | None:
    """An Indonesian mobile number as +62…: `0812-3456-7890`, `62812…`, `+62 812…` and `812…` are the same
    phone. Other countries' numbers (with their +) are kept as digits with the +; anything else is None."""
    if not raw:
        return None
    plus = raw.strip().startswith("+")
    digits = re.sub(r"\D", "", raw)
    if not 6 <= len(digits) <= 15:
        return None
    if plus:
        return "+" + digits
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("8"):
        return "+62" + digits
    return None
