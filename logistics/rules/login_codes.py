"""The one-time codes printed on login cards: how they look, how a typed one is read, and when a card stops
working. Pure: no database, no Flask.

10 characters from 31 that cannot be mistaken for each other on paper or a phone keyboard (no 0/O, 1/I/L):
31^10 ≈ 8·10^14 codes (49 bits), against 10^6 for the 6-digit PINs before. A guesser gets CODE_MAX_FAILURES
wrong tries per card (then the card is void and a coordinator prints a new one), so against 1,000 unused
cards the chance of hitting any is about 1,000 × 20 / 8·10^14 ≈ 2.5·10^-11, however many addresses try.
A code works once (the login that uses it must set a password) and for CODE_LIFETIME after printing.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_LIFETIME = timedelta(days=14)  # cards are printed in the week before the election day
CODE_MAX_FAILURES = 20


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """A code as typed (any case, with the card's space or a dash) as it was hashed."""
    return "".join(typed.split()).replace("-", "").upper()


def printed(code: str) -> str:
    """How a card shows a code: two groups of five, easier to copy."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


def card_usable(issued_at: datetime | None, used_at: datetime | None, failures: int, now: datetime) -> bool:
    """Whether a card's code may still log in: printed, not used yet, not guessed at too often, not expired."""
    return (issued_at is not None and used_at is None and failures < CODE_MAX_FAILURES
            and now < issued_at + CODE_LIFETIME)
