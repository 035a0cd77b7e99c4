"""The vocabulary of the access table: what a caller may expect, and one route's row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from liveshop.accounts.models import Role
from tests.access.world import Made, World
from tests.conftest import Account

ROLES = tuple(role.value for role in Role)
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Expect:
    """An expected answer. ``statuses`` None means allowed: a 2xx, or a 409 or 422 that
    is about the input or the object's state, never 401, 403 or 404. Any other
    expectation is a refusal with exactly one of ``statuses``, and a refused call
    changes nothing in the database."""

    name: str
    statuses: frozenset[int] | None = None

    @property
    def allows(self) -> bool:
        return self.statuses is None

    def matches(self, status: int) -> bool:
        if self.statuses is None:
            return 200 <= status < 300 or status in ALLOWED_REFUSALS
        return status in self.statuses

    def __str__(self) -> str:
        return self.name


ALLOWED_REFUSALS = frozenset({409, 422})  # about the body or the object's state

ALLOWED = Expect("allowed")
FORBIDDEN = Expect("403", frozenset({403}))
HIDDEN = Expect("404", frozenset({404}))  # denied without saying the object exists
LOGIN = Expect("401", frozenset({401}))
LOGIN_PAGE = Expect("303 to /login", frozenset({303}))
INVALID = Expect("422", frozenset({422}))  # a body that names another's object, refused as input

BodyFactory = Callable[[Made, Account | None, World], dict[str, Any] | None]


@dataclass(frozen=True)
class Subject:
    """What the route's ids name (``kind``), and how to make a fresh one in the world."""

    kind: str
    make: Callable[[World], Made]


@dataclass(frozen=True)
class Access:
    """One route's row: the object it acts on, and the answer each caller gets.

    ``parties`` are the object's own people (its buyer, its shop's merchant, its
    room's host); ``roles`` the answer a stranger of that role gets (the viewer,
    host and merchant strangers are the owners' peers, with objects of their own);
    ``others`` the answer of any stranger not named; ``anonymous`` the answer
    without a token. ``body`` makes the request's body for a caller, with the
    fresh objects at hand.
    """

    subject: Subject
    parties: Mapping[str, Expect] = field(default_factory=dict)
    roles: Mapping[Role, Expect] = field(default_factory=dict)
    others: Expect = FORBIDDEN
    anonymous: Expect = LOGIN
    body: BodyFactory | None = None

    def callers(self) -> list[str]:
        return [ANONYMOUS, *self.parties, *ROLES]

    def expected(self, caller: str) -> Expect:
        if caller == ANONYMOUS:
            return self.anonymous
        if caller in self.parties:
            return self.parties[caller]
        return self.roles.get(Role(caller), self.others)


def public(subject: Subject, *, parties: tuple[str, ...] = ()) -> Access:
    """A read anyone may make, logged in or not."""
    return Access(
        subject,
        parties=dict.fromkeys(parties, ALLOWED),
        others=ALLOWED,
        anonymous=ALLOWED,
    )


def everyone_but_regulators(
    subject: Subject, *, parties: tuple[str, ...] = (), body: BodyFactory | None = None
) -> Access:
    """A write any user may make (buying, grabbing, following, chat, questions, a
    report): regulators only read."""
    return Access(
        subject,
        parties=dict.fromkeys(parties, ALLOWED),
        roles={Role.REGULATOR: FORBIDDEN},
        others=ALLOWED,
        body=body,
    )
