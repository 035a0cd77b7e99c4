"""The verdict: the strictest action, and every match starred, overlaps included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from liveshop.moderation.lists import Action, Severity
from liveshop.moderation.verdict import Match, MatchSource, verdict_of


def match(start: int, end: int, action: Action = Action.MASK) -> Match:
    return Match("term", "abuse", Severity.MEDIUM, action, start, end, "", MatchSource.TERM)


def test_overlapping_and_nested_matches_are_starred_once() -> None:
    verdict = verdict_of("0123456789", [match(6, 8), match(1, 4), match(2, 3), match(3, 5)])
    assert verdict.masked == "0****5**89"
    assert verdict.action is Action.MASK


def test_the_strictest_action_wins() -> None:
    verdict = verdict_of("abcdef", [match(0, 1), match(2, 3, Action.BLOCK), match(4, 5)])
    assert verdict.action is Action.BLOCK
    assert verdict.masked == "*b*d*f"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_masked_stars_exactly_the_characters_inside_some_match(data: st.DataObject) -> None:
    text = data.draw(st.text(min_size=1, max_size=30))
    spans = st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).map(sorted)
    drawn = data.draw(st.lists(spans, max_size=6))
    verdict = verdict_of(text, [match(start, end) for start, end in drawn])
    starred = {index for start, end in drawn for index in range(start, end)}
    expected = "".join("*" if index in starred else c for index, c in enumerate(text))
    assert verdict.masked == expected
