"""Chat helpers: folding, sampling under load, rate limits."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liveshop.live.chat import FOLD_SECONDS, ChatFolder, TokenBucket, fold_key, sample_comments


def line(text: str, kind: str = "comment", number: int = 0) -> dict[str, Any]:
    return {"id": number, "kind": kind, "text": text}


@pytest.mark.parametrize(
    ("first", "second"),
    [("666", "6666 !"), ("ＨＨＨ", "hh"), ("Nice!!", "nice"), ("好好好", "好")],
)
def test_fold_key_matches_near_identical_lines(first: str, second: str) -> None:
    assert fold_key(first) == fold_key(second)


@pytest.mark.parametrize(("first", "second"), [("666", "777"), ("buy", "bye"), ("ab", "ba")])
def test_fold_key_keeps_different_lines_apart(first: str, second: str) -> None:
    assert fold_key(first) != fold_key(second)


def test_fold_key_of_punctuation_only_is_not_empty() -> None:
    assert fold_key("!!!") == "!"
    assert fold_key("???") != fold_key("!!!")


def test_folder_counts_repeats_within_the_window() -> None:
    folder = ChatFolder()
    first, second, third = line("666", number=1), line("6666", number=2), line("666!", number=3)

    assert folder.fold(first, now=100.0) is None
    assert folder.fold(second, now=101.0) is first
    assert folder.fold(third, now=101.0 + FOLD_SECONDS) is first

    assert first["count"] == 3
    assert "count" not in second


def test_folder_starts_a_new_line_after_the_window() -> None:
    folder = ChatFolder()
    first, later = line("666", number=1), line("666", number=2)

    folder.fold(first, now=100.0)
    assert folder.fold(later, now=100.0 + FOLD_SECONDS + 0.1) is None

    assert first["count"] == 1
    assert later["count"] == 1


def test_folder_never_folds_host_or_announcement_lines() -> None:
    folder = ChatFolder()
    folder.fold(line("666", number=1), now=1.0)

    assert folder.fold(line("666", kind="host", number=2), now=1.5) is None
    assert folder.fold(line("666", kind="announcement", number=3), now=1.5) is None


def test_forget_older_than_drops_stale_keys() -> None:
    folder = ChatFolder()
    folder.fold(line("old", number=1), now=1.0)
    folder.fold(line("new", number=2), now=10.0)

    folder.forget_older_than(5.0)

    assert list(folder.lines) == [fold_key("new")]


def test_sample_keeps_everything_within_budget() -> None:
    comments = [line(str(number), number=number) for number in range(5)]

    kept, dropped = sample_comments(comments, 5, random.Random(1))

    assert kept == comments
    assert dropped == 0


def test_sample_always_keeps_priority_lines_in_order() -> None:
    comments = [line(f"c{number}", number=number) for number in range(20)]
    comments[3] = line("from host", kind="host", number=3)
    comments[15] = line("notice", kind="announcement", number=15)
    comments[9] = line("bought!", kind="purchase", number=9)

    kept, dropped = sample_comments(comments, 5, random.Random(7))

    assert len(kept) == 5
    assert dropped == 15
    assert [item for item in kept if item["kind"] != "comment"] == [
        comments[3],
        comments[9],
        comments[15],
    ]
    assert [item["id"] for item in kept] == sorted(item["id"] for item in kept)


kinds = st.sampled_from(["comment", "comment", "comment", "host", "announcement", "gift"])


@given(
    kinds_list=st.lists(kinds, max_size=80),
    budget=st.integers(min_value=0, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_sample_property(kinds_list: list[str], budget: int, seed: int) -> None:
    comments = [
        line(f"t{number}", kind=kind, number=number) for number, kind in enumerate(kinds_list)
    ]
    priority = [item for item in comments if item["kind"] != "comment"]

    kept, dropped = sample_comments(comments, budget, random.Random(seed))

    assert len(kept) + dropped == len(comments)
    assert [item["id"] for item in kept] == sorted({item["id"] for item in kept})
    if len(priority) <= budget:
        assert len(kept) == min(budget, len(comments))
        assert [item for item in kept if item["kind"] != "comment"] == priority
    else:
        # more priority lines than the budget: the earliest priority lines, nothing else
        assert kept == priority[:budget]


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=1.0, burst=3, updated=0.0)

    assert [bucket.take(now=0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(now=0.5) is False
    assert bucket.take(now=1.0) is True
    assert bucket.take(now=1.0) is False
    assert bucket.take(now=100.0) is True
    assert bucket.tokens == 2.0  # refilled only up to the burst


def test_token_bucket_takes_amounts() -> None:
    bucket = TokenBucket(rate=30.0, burst=60, updated=0.0)

    assert bucket.take(50, now=0.0) is True
    assert bucket.take(50, now=0.0) is False
    assert bucket.tokens == 10.0
