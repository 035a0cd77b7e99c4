"""The moderation engine: one verdict for any user- or seller-written text.

Passes over one normalised text (see ``normalise``):

1. one Aho-Corasick automaton over the compact view holds the terms, the
   allow-phrases, and the pinyin pass: every sound-alike spelling of the
   terms that opt in (薇信 for 微信) and their pinyin as typed (``weixin``).
   A sound-alike is a guess, so it never does more than hold for review;
2. digit runs: 8 or more digits in any style (①③⑧, 一三八, full width,
   split by separators) are a possible phone number or account;
3. URLs, on the text with full-width ASCII folded; terms whose symbols carry
   their meaning (``100%``) on the text as written.

A contact word that expects an id (微信, QQ) also covers the id written after it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from liveshop.moderation.detectors import contact_id_end, digit_runs, urls
from liveshop.moderation.homophones import sound_alike_spellings, typed_pinyin
from liveshop.moderation.lists import (
    PACKAGED_LISTS,
    Action,
    ListError,
    ListWatcher,
    Severity,
    Surface,
    Term,
    TermLists,
    load_term_lists,
)
from liveshop.moderation.matcher import Hit, LiteralIndex, PhraseIndex, needs_literal_match
from liveshop.moderation.normalise import NormalisedText, is_cjk, normalise_term
from liveshop.moderation.verdict import Match, MatchSource, Verdict, verdict_of

logger = logging.getLogger(__name__)

ROOM_BLOCKLIST = "room_blocklist"
ALL_SURFACES = frozenset(Surface)  # a room's own list applies wherever the room shows
# Shorter pinyin spellings ("dama", "xidu") are too often names or other words.
MIN_TYPED_PINYIN = 5


@dataclass(frozen=True, slots=True)
class _Allowed:
    phrase: str


@dataclass(frozen=True, slots=True)
class _SoundAlike:
    """A key that sounds like ``term`` (or spells it in pinyin)."""

    term: Term


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A term found at compact positions ``start:end``."""

    term: Term
    start: int
    end: int
    source: MatchSource


class RoomBlocklist:
    """A host's own terms for one room, compiled once with the shared normaliser.

    Kept apart from the engine so a room's list costs one small automaton,
    built when the host saves it, and never a rebuild of the shared one.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        entries = [Term(term, ROOM_BLOCKLIST, Severity.MEDIUM, Action.BLOCK) for term in terms]
        self.index = PhraseIndex((normalise_term(term.text), term) for term in entries)


class ModerationEngine:
    """Immutable once built; ``Moderator`` builds a new one when the lists change."""

    def __init__(self, lists: TermLists) -> None:
        self.lists = lists
        self._surfaces = {name: policy.surfaces for name, policy in lists.policies.items()}
        literal = [term for term in lists.terms if needs_literal_match(term.text)]
        compacted = [term for term in lists.terms if not needs_literal_match(term.text)]
        entries: list[tuple[str, Term | _Allowed | _SoundAlike]] = [
            (normalise_term(term.text), term) for term in compacted
        ]
        entries += [(normalise_term(phrase), _Allowed(phrase)) for phrase in lists.allowed]
        entries += _sound_alike_keys(compacted)
        self._index = PhraseIndex(entries)
        self._literals = LiteralIndex((term.text, term) for term in literal)
        self.automaton_keys = self._index.size

    def moderate(
        self,
        text: str,
        *,
        surface: Surface = Surface.COMMENT,
        room_blocklist: RoomBlocklist | None = None,
    ) -> Verdict:
        """Judge one text: a chat comment, a username, a title, a coupon name..."""
        normalised = NormalisedText(text)
        hits = self._index.search(normalised)
        if room_blocklist is not None:
            hits += room_blocklist.index.search(normalised)
        candidates = self._candidates(normalised, surface, hits) if hits else []
        matches = [_to_match(normalised, candidate) for candidate in candidates]
        matches += digit_runs(normalised) + urls(text) + self._literal_matches(text, surface)
        if not matches:
            return Verdict(Action.ALLOW, (), (), text)
        return verdict_of(text, matches)

    def _literal_matches(self, text: str, surface: Surface) -> list[Match]:
        return [
            Match(term.text, term.category, term.severity, term.action, hit.start, hit.end,
                  text[hit.start : hit.end], MatchSource.TERM)
            for hit in self._literals.search(text)
            for term in hit.payloads
            if surface in self._surfaces[term.category]
        ]  # fmt: skip

    def _candidates(
        self,
        normalised: NormalisedText,
        surface: Surface,
        hits: list[Hit[Term | _Allowed | _SoundAlike]],
    ) -> list[_Candidate]:
        """Terms found, minus those inside an allow-phrase or glued into a Latin word."""
        candidates: list[_Candidate] = []
        allowed: list[tuple[int, int]] = []
        for hit in hits:
            for payload in hit.payloads:
                if isinstance(payload, _Allowed):
                    allowed.append((hit.start, hit.end))
                    continue
                term, source = _term_and_source(payload)
                if surface in self._surfaces.get(term.category, ALL_SURFACES):
                    candidates.append(_Candidate(term, hit.start, hit.end, source))
        kept = (
            candidate
            for candidate in candidates
            if not _inside_any(candidate, allowed)
            and normalised.is_word(candidate.start, candidate.end)
        )
        return _deduplicated(kept)


def _term_and_source(payload: Term | _SoundAlike) -> tuple[Term, MatchSource]:
    if isinstance(payload, _SoundAlike):
        return payload.term, MatchSource.HOMOPHONE
    if payload.category == ROOM_BLOCKLIST:
        return payload, MatchSource.ROOM_BLOCKLIST
    return payload, MatchSource.TERM


def _sound_alike_keys(terms: Iterable[Term]) -> list[tuple[str, _SoundAlike]]:
    """Spellings that sound like each opted-in term, and its pinyin as typed."""
    keys = []
    for term in terms:
        word = normalise_term(term.text)
        if not term.homophones or not all(map(is_cjk, word)):
            continue
        typed = typed_pinyin(word)
        if len(typed) >= MIN_TYPED_PINYIN:
            keys.append((typed, _SoundAlike(term)))
        keys += [
            (normalise_term(spelling), _SoundAlike(term))
            for spelling in sound_alike_spellings(word)
        ]
    return keys


def _inside_any(candidate: _Candidate, spans: list[tuple[int, int]]) -> bool:
    return any(start <= candidate.start and candidate.end <= end for start, end in spans)


def _deduplicated(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    """One candidate per stretch of text and category: the longest, found first.

    最低价 hides the 最低 inside it; an exact term hides its own homophone.
    """
    longest_first = sorted(candidates, key=lambda candidate: candidate.start - candidate.end)
    kept: list[_Candidate] = []
    for candidate in longest_first:
        if not any(_covers(other, candidate) for other in kept):
            kept.append(candidate)
    return kept


def _covers(outer: _Candidate, inner: _Candidate) -> bool:
    return (
        outer.term.category == inner.term.category
        and outer.start <= inner.start
        and inner.end <= outer.end
    )


def _to_match(normalised: NormalisedText, candidate: _Candidate) -> Match:
    start, end = normalised.original_span(candidate.start, candidate.end)
    term = candidate.term
    action = term.action
    if candidate.source == MatchSource.HOMOPHONE:
        action = min(action, Action.REVIEW, key=lambda each: each.rank)
    if term.expects_id:
        end = contact_id_end(normalised.original, end)
    original = normalised.original[start:end]
    return Match(
        term.text, term.category, term.severity, action, start, end, original, candidate.source
    )


class Moderator:
    """The engine behind a hot-reloaded set of list directories.

    Every ``check_interval_seconds`` at most, a call looks at the list files'
    mtimes and sizes and rebuilds the engine if any changed, so operators edit
    a list and the next comments see it, with no restart. The check is
    throttled because a ``stat`` per file per comment would cost more than the
    matching itself. The rebuild (about a second with the sound-alike
    spellings) runs in the call that notices the change; a list that fails to
    load is logged and the previous engine kept, so a typo never stops chat.
    """

    def __init__(
        self,
        directories: Sequence[Path] = (PACKAGED_LISTS,),
        *,
        check_interval_seconds: float = 1.0,
    ) -> None:
        self._watcher = ListWatcher(directories)
        self._engine = ModerationEngine(load_term_lists(directories))
        self._check_interval = check_interval_seconds
        self._next_check = time.monotonic() + check_interval_seconds

    @property
    def engine(self) -> ModerationEngine:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self._check_interval
            self._reload_if_changed()
        return self._engine

    def _reload_if_changed(self) -> None:
        try:
            if self._watcher.changed():
                self._engine = ModerationEngine(load_term_lists(self._watcher.directories))
        except (ListError, OSError, ValueError, KeyError):
            logger.exception("moderation lists failed to load; keeping the previous ones")

    def moderate(
        self,
        text: str,
        *,
        surface: Surface = Surface.COMMENT,
        room_blocklist: RoomBlocklist | None = None,
    ) -> Verdict:
        return self.engine.moderate(text, surface=surface, room_blocklist=room_blocklist)


@functools.cache
def default_moderator() -> Moderator:
    """The process-wide moderator over the packaged lists."""
    return Moderator()
