"""Term lists: categories with a severity and an action, terms, allow-lists, hot reload.

A list directory holds ``categories.json`` (only the packaged one is required),
one ``<category>.csv`` per category (columns ``term`` and, optionally,
``severity``, ``action``, ``homophones``, ``expects_id``; blank cells take the
category's defaults) and ``allow.txt`` (phrases that are never a violation, one a line).
Operators keep their own directory beside the packaged one; the watcher
notices when any of those files changes and the engine is rebuilt, with no
restart.
"""

from __future__ import annotations

import csv
import enum
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGED_LISTS = Path(__file__).parent / "data"
CATEGORIES_FILE = "categories.json"
ALLOW_FILE = "allow.txt"


class Action(enum.StrEnum):
    """What happens to a text, from the mildest: shown, shown masked, held, refused."""

    ALLOW = "allow"
    MASK = "mask"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return list(Action).index(self)


def strictest(actions: Sequence[Action]) -> Action:
    return max(actions, key=lambda action: action.rank, default=Action.ALLOW)


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Surface(enum.StrEnum):
    """Where a text appears; some categories only apply to what sellers write."""

    COMMENT = "comment"
    USERNAME = "username"
    ROOM_TITLE = "room_title"
    PRODUCT_TITLE = "product_title"
    PRODUCT_DESCRIPTION = "product_description"
    COUPON_NAME = "coupon_name"
    HOST_SCRIPT = "host_script"


@dataclass(frozen=True, slots=True)
class CategoryPolicy:
    name: str
    severity: Severity
    action: Action
    homophones: bool  # the default for the category's terms, see Term.homophones
    surfaces: frozenset[Surface]


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    category: str
    severity: Severity
    action: Action
    # Whether the pinyin pass looks for sound-alike spellings (薇信 for 微信). Opt-in
    # per term: every extra homophone key is a chance to hit an innocent word.
    homophones: bool = False
    expects_id: bool = False  # a contact word (微信, QQ): the id after it is masked too


@dataclass(frozen=True, slots=True)
class TermLists:
    policies: dict[str, CategoryPolicy]
    terms: tuple[Term, ...]
    allowed: tuple[str, ...]


class ListError(ValueError):
    """A list file is malformed; the message names the file and the line."""


def load_term_lists(directories: Sequence[Path] = (PACKAGED_LISTS,)) -> TermLists:
    """Read the lists from each directory, the packaged one first."""
    policies = _read_policies(directories[0] / CATEGORIES_FILE)
    terms: list[Term] = []
    allowed: list[str] = []
    for directory in directories:
        for policy in policies.values():
            terms.extend(_read_terms(directory / f"{policy.name}.csv", policy))
        allowed.extend(_read_lines(directory / ALLOW_FILE))
    return TermLists(policies, tuple(terms), tuple(allowed))


def watched_files(directories: Sequence[Path]) -> list[Path]:
    """Every file the lists are read from, present or not (creating one is a change)."""
    policies = _read_policies(directories[0] / CATEGORIES_FILE)
    names = [CATEGORIES_FILE, ALLOW_FILE, *(f"{name}.csv" for name in policies)]
    return [directory / name for directory in directories for name in names]


def _read_policies(path: Path) -> dict[str, CategoryPolicy]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    policies = {}
    for name, fields in raw.items():
        surfaces = fields["surfaces"]
        policies[name] = CategoryPolicy(
            name=name,
            severity=Severity(fields["severity"]),
            action=Action(fields["action"]),
            homophones=bool(fields["homophones"]),
            surfaces=frozenset(Surface) if surfaces == "all" else frozenset(map(Surface, surfaces)),
        )
    return policies


def _read_terms(path: Path, policy: CategoryPolicy) -> Iterator[Term]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as file:
        for line, row in enumerate(csv.DictReader(file), start=2):
            text = (row.get("term") or "").strip()
            if not text:
                continue
            try:
                yield Term(
                    text=text,
                    category=policy.name,
                    severity=Severity(row.get("severity") or policy.severity),
                    action=Action(row.get("action") or policy.action),
                    homophones=_flag(row.get("homophones"), default=policy.homophones),
                    expects_id=_flag(row.get("expects_id"), default=False),
                )
            except ValueError as error:
                raise ListError(f"{path}:{line}: {error}") from error


def _flag(cell: str | None, *, default: bool) -> bool:
    value = (cell or "").strip().lower()
    if value not in ("", "yes", "no"):
        raise ValueError(f"expected yes, no or nothing, not {cell!r}")
    return default if not value else value == "yes"


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class ListWatcher:
    """Tells whether any list file changed (mtime, size, or coming and going)."""

    def __init__(self, directories: Sequence[Path]) -> None:
        self.directories = tuple(directories)
        self._signature = self._read_signature()

    def changed(self) -> bool:
        """Whether the files differ from the last call (or from construction)."""
        signature = self._read_signature()
        if signature == self._signature:
            return False
        self._signature = signature
        return True

    def _read_signature(self) -> tuple[tuple[str, int, int], ...]:
        return tuple(_stat(path) for path in watched_files(self.directories))


def _stat(path: Path) -> tuple[str, int, int]:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return (str(path), -1, -1)
    return (str(path), status.st_mtime_ns, status.st_size)
