"""Limits on signing in and signing up, so passwords cannot be guessed at speed.

Three rules, all counted in an AttemptStore (in-process, or Redis for several workers):

* one client address may fail to sign in ``login_failures_per_address`` times per
  window, whatever the accounts (credential stuffing); attempts still being
  checked count too, successful ones are given back, so many people behind one
  address who know their passwords are never held up;
* one account that fails ``login_failures_before_lockout`` times is locked for
  ``login_lockout_seconds``: a short lockout, not extended by attempts made while
  it lasts. Addresses the account signed in from recently are not locked out by
  failures from elsewhere, so an attacker cannot keep the owner out; failures
  from such an address lock that address out of the account all the same;
* one client address may sign up ``registrations_per_address`` times per window.
  There is no global limit: a popular room going live brings hundreds of sign-ups
  from hundreds of addresses within seconds, and none is refused.

Unknown usernames are counted like real ones, so the answers do not tell which exist.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from liveshop.accounts.attempt_stores import (
    AttemptStore,
    MemoryAttemptStore,
    RedisAttemptStore,
    Slot,
)
from liveshop.core.errors import RateLimited
from liveshop.core.settings import Settings

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class SignInLimits:
    window_seconds: float
    login_failures_per_address: int
    registrations_per_address: int
    failures_before_lockout: int
    failure_window_seconds: float
    lockout_seconds: float
    known_address_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            window_seconds=settings.sign_in_window_seconds,
            login_failures_per_address=settings.login_failures_per_address,
            registrations_per_address=settings.registrations_per_address,
            failures_before_lockout=settings.login_failures_before_lockout,
            failure_window_seconds=settings.login_failure_window_seconds,
            lockout_seconds=settings.login_lockout_seconds,
            known_address_seconds=settings.login_known_address_days * SECONDS_PER_DAY,
        )


@dataclass(frozen=True)
class LoginAttempt:
    """A sign-in under way: report how it ended with login_failed or login_succeeded."""

    username: str
    address: str
    address_slot: Slot


def _wait(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class SignInGuard:
    def __init__(
        self,
        store: AttemptStore,
        limits: SignInLimits,
        *,
        clock: Callable[[], float] = time.time,  # wall time: shared by every worker
    ) -> None:
        self.store = store
        self.limits = limits
        self.clock = clock

    def start_login(self, *, username: str, address: str) -> LoginAttempt:
        """Raise RateLimited if this sign-in may not be tried now; else count it as under way."""
        now = self.clock()
        pair = f"{username}|{address}"
        locked_for = self.store.marked_for(f"lock:pair:{pair}", now=now)
        if not locked_for and not self.store.marked_for(f"known:{pair}", now=now):
            locked_for = self.store.marked_for(f"lock:account:{username}", now=now)
        if locked_for:
            raise RateLimited(
                f"too many wrong passwords for this account; try again in {_wait(locked_for)} s",
                code="account_locked",
                retry_after_seconds=locked_for,
            )
        slot = self.store.take(
            f"login:address:{address}",
            limit=self.limits.login_failures_per_address,
            window_seconds=self.limits.window_seconds,
            now=now,
        )
        if not slot.is_taken:
            wait = slot.retry_after_seconds
            raise RateLimited(
                f"too many failed sign-ins from your address; try again in {_wait(wait)} s",
                code="too_many_sign_ins",
                retry_after_seconds=wait,
            )
        return LoginAttempt(username=username, address=address, address_slot=slot)

    def login_failed(self, attempt: LoginAttempt) -> None:
        """The password was wrong (or the user unknown): count it, and lock when due."""
        now = self.clock()
        pair = f"{attempt.username}|{attempt.address}"
        for scope, key in (("account", attempt.username), ("pair", pair)):
            failures = self.store.record(
                f"failures:{scope}:{key}",
                window_seconds=self.limits.failure_window_seconds,
                now=now,
            )
            if failures >= self.limits.failures_before_lockout:
                self.store.clear(f"failures:{scope}:{key}")  # the next lockout needs as many
                self.store.mark(f"lock:{scope}:{key}", seconds=self.limits.lockout_seconds, now=now)

    def login_succeeded(self, attempt: LoginAttempt) -> None:
        self.store.give_back(attempt.address_slot)
        self.mark_known(username=attempt.username, address=attempt.address)

    def mark_known(self, *, username: str, address: str) -> None:
        """``address`` signed in to ``username`` (with the password, or through the
        step-up): failures from elsewhere do not lock it out of the account."""
        if self.limits.known_address_seconds > 0:
            self.store.mark(
                f"known:{username}|{address}",
                seconds=self.limits.known_address_seconds,
                now=self.clock(),
            )

    def start_registration(self, *, address: str) -> None:
        """Raise RateLimited if this address has signed up too often lately; else count it."""
        slot = self.store.take(
            f"register:address:{address}",
            limit=self.limits.registrations_per_address,
            window_seconds=self.limits.window_seconds,
            now=self.clock(),
        )
        if not slot.is_taken:
            wait = slot.retry_after_seconds
            raise RateLimited(
                f"too many sign-ups from your address; try again in {_wait(wait)} s",
                code="too_many_sign_ups",
                retry_after_seconds=wait,
            )


def make_sign_in_guard(settings: Settings) -> SignInGuard:
    """In-process counts for one worker; Redis when configured (several workers)."""
    store: AttemptStore = (
        RedisAttemptStore(settings.redis_url) if settings.redis_url else MemoryAttemptStore()
    )
    return SignInGuard(store, SignInLimits.from_settings(settings))
