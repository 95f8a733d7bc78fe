"""The one-time codes of login cards (issue 24, finding 3): long, typed in any case, single use (the race of two
logins at once: tests/test_login_live.py), a limited number of wrong tries per card, expiring."""
from __future__ import annotations

import re
from datetime import timedelta

from logistics.actor import Actor
from logistics.rules.login_codes import ALPHABET, CODE_LENGTH, CODE_LIFETIME, CODE_MAX_FAILURES, new_code, printed
from logistics.services import accounts, field_accounts
from tests.test_field_accounts import field_account, login


def test_codes_are_ten_unambiguous_characters():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200 and CODE_LENGTH >= 10
    assert all(re.fullmatch(f"[{ALPHABET}]{{{CODE_LENGTH}}}", c) for c in codes)
    assert not set("01IOL") & set(ALPHABET)
    assert printed("ABCDEFGHJK") == "ABCDE FGHJK"


def test_a_code_typed_in_small_letters_with_the_cards_space_or_a_dash_logs_in(app, client, session):
    user = field_account(session)
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    assert login(client, user.username, printed(card.pin).lower().replace(" ", "-")).status_code == 302


def test_wrong_tries_are_limited_per_card(session):
    user = field_account(session)
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    wrong = "2" * CODE_LENGTH if card.pin != "2" * CODE_LENGTH else "3" * CODE_LENGTH
    for _ in range(CODE_MAX_FAILURES):
        assert accounts.authenticate(session, user.username, wrong) is None
    assert user.pin_failures == CODE_MAX_FAILURES
    assert accounts.authenticate(session, user.username, card.pin) is None  # the card is void
    again = field_accounts.reset_pin(session, Actor.system("test"), user.id)  # a new card: its own tries
    assert user.pin_failures == 0 and accounts.authenticate(session, user.username, again.pin) == user


def test_a_card_expires(session):
    user = field_account(session)
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    user.pin_issued_at -= CODE_LIFETIME + timedelta(minutes=1)
    session.flush()
    assert accounts.authenticate(session, user.username, card.pin) is None


def test_a_used_or_expired_card_still_costs_one_hash(session, monkeypatch):
    user = field_account(session)
    card = field_accounts.reset_pin(session, Actor.system("test"), user.id)
    assert accounts.authenticate(session, user.username, card.pin) == user
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h.split("$")[0]) or real(h, p))
    assert accounts.authenticate(session, user.username, card.pin) is None  # used
    assert calls == ["scrypt:32768:8:1"]
