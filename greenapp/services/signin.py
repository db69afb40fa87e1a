"""Sign-in that stops attackers, not users (OWASP brute-force guidance).

* Failures only are counted; a successful sign-in costs nothing, so a class of 30 pupils
  signing in from one school address is never refused.
* A client without a device cookie for the account ("untrusted") is limited on three keys:
  the (account, address) pair with growing waits (``LOGIN_CLIENT_LIMITS``: 5 a minute, then
  10 per 15 minutes, then 20 per hour), the account from all unknown clients
  (``LOGIN_RATELIMIT``), and the address over all accounts (``LOGIN_IP_LIMIT``, sized for a
  school network).
* A client that signed in successfully before carries a signed device cookie bound to the
  account. It is exempt from the account and address locks that an attacker elsewhere can
  trigger, and is limited only on its own key (the same growing waits).
* Unknown and known addresses cost the same: an unknown address is checked against a dummy
  hash, and the counters are kept for any address typed.

Counters live in the rate-limit store (``REDIS_URL``, shared by every worker; in memory
otherwise). Keys carry a hash of the address, never the address itself.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.security import check_password_hash, generate_password_hash

from greenapp.models.user import User

log = logging.getLogger("greenapp.signin")
DEVICE_COOKIE = "greenapp_device"
DEVICE_SALT = "greenapp-device-cookie"
MAX_DEVICE_ENTRIES = 30  # accounts remembered on one shared classroom computer

Rule = tuple[str, str, str]  # (limit string, namespace, key)


def dummy_hash() -> str:
    """A hash of a random password, made like real ones (User.set_password: the config's
    PASSWORD_HASH_METHOD, scrypt by default), to check unknown addresses against."""
    return _dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def check_password_or_dummy(user: User | None, password: str) -> bool:
    """Verify the password; for an unknown address spend the same time and return False."""
    if user is None:
        check_password_hash(dummy_hash(), password or "")
        return False
    return user.check_password(password or "")


def email_key(email: str) -> str:
    """A stable, non-reversible key for an address typed into a form."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


class Guard:
    """Failure counters on the app's rate-limit store (one per app)."""

    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        self.prefix = app.config.get("RATELIMIT_KEY_PREFIX", "greenapp")
        uri = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        self.strategy = MovingWindowRateLimiter(storage_from_string(uri))

    def _items(self, rules: list[Rule]) -> list[tuple[RateLimitItem, list[str]]]:
        return [
            (item, [self.prefix, namespace, key])
            for spec, namespace, key in rules
            for item in parse_many(spec)
        ]

    def retry_after(self, rules: list[Rule]) -> int | None:
        """Seconds to wait if any rule is used up, else None (nothing is counted)."""
        if not self.enabled:
            return None
        wait = 0
        try:
            for item, ids in self._items(rules):
                if not self.strategy.test(item, *ids):
                    reset, _remaining = self.strategy.get_window_stats(item, *ids)
                    wait = max(wait, int(reset - time.time()) + 1)
        except Exception as exc:  # noqa: BLE001 - a dead store must not lock everyone out
            log.warning("rate-limit store unavailable: %s", type(exc).__name__)
            return None
        return wait or None

    def hit(self, rules: list[Rule]) -> None:
        """Count one event on every rule."""
        if not self.enabled:
            return
        try:
            for item, ids in self._items(rules):
                self.strategy.hit(item, *ids)
        except Exception as exc:  # noqa: BLE001
            log.warning("rate-limit store unavailable: %s", type(exc).__name__)

    def take(self, rules: list[Rule]) -> int | None:
        """Check, then count this attempt: for actions throttled on every attempt."""
        wait = self.retry_after(rules)
        if wait is None:
            self.hit(rules)
        return wait


def guard() -> Guard:
    """The current app's guard."""
    ext = current_app.extensions
    if "greenapp_signin_guard" not in ext:
        ext["greenapp_signin_guard"] = Guard(current_app)
    return ext["greenapp_signin_guard"]


# --- device cookies ----------------------------------------------------------------------


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def read_devices(cookie: str | None) -> list[list[Any]]:
    """The [user id, nonce] pairs in a device cookie; [] when missing, forged or too old."""
    if not cookie:
        return []
    max_age = current_app.config["DEVICE_COOKIE_DAYS"] * 86400
    try:
        data = _device_serializer().loads(cookie, max_age=max_age)
    except BadSignature:
        return []
    if not isinstance(data, list):
        return []
    return [
        e
        for e in data
        if isinstance(e, list) and len(e) == 2 and isinstance(e[0], int) and isinstance(e[1], str)
    ]


def device_nonce(entries: list[list[Any]], user: User | None) -> str | None:
    """This client's nonce for the account, if it signed in to it before."""
    if user is None:
        return None
    for user_id, nonce in entries:
        if user_id == user.id:
            return nonce
    return None


def remember_device(entries: list[list[Any]], user: User) -> str:
    """A new signed cookie value: a fresh nonce for this account, most recent first."""
    kept = [e for e in entries if e[0] != user.id][: MAX_DEVICE_ENTRIES - 1]
    return _device_serializer().dumps([[user.id, secrets.token_urlsafe(12)], *kept])


# --- the sign-in decision ----------------------------------------------------------------


@dataclass
class Attempt:
    """What one sign-in attempt is checked and counted against."""

    rules: list[Rule]
    trusted: bool


def attempt_rules(email: str, ip: str, nonce: str | None) -> Attempt:
    """The counters for this attempt: the device's own, or the untrusted client's three."""
    cfg = current_app.config
    if nonce:
        return Attempt([(cfg["LOGIN_CLIENT_LIMITS"], "login-device", nonce)], trusted=True)
    account = email_key(email)
    return Attempt(
        [
            (cfg["LOGIN_CLIENT_LIMITS"], "login-pair", f"{account}:{ip}"),
            (cfg["LOGIN_RATELIMIT"], "login-account", account),
            (cfg["LOGIN_IP_LIMIT"], "login-ip", ip),
        ],
        trusted=False,
    )
