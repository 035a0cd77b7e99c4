"""Governance's settings come from the one settings object, under the same
``LIVESHOP_MODERATION_*`` names operators already set."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from liveshop.core.settings import Settings
from liveshop.governance.config import LadderStep, ModerationSettings
from liveshop.governance.models import PenaltyKind

SRC = Path(__file__).resolve().parents[2] / "src" / "liveshop"


def test_the_environment_reaches_governance_under_the_old_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIVESHOP_MODERATION_APPEAL_DAYS", "3")
    monkeypatch.setenv("LIVESHOP_MODERATION_POINTS", '{"mute": 4}')
    monkeypatch.setenv("LIVESHOP_MODERATION_LADDER", '[{"points": 5, "kind": "warning"}]')
    monkeypatch.setenv("LIVESHOP_MODERATION_GIFTS_REQUIRE_VERIFICATION", "true")

    settings = ModerationSettings.of(Settings())

    assert settings.appeal_days == 3
    assert settings.points_for(PenaltyKind.MUTE) == 4
    assert settings.points_for(PenaltyKind.WARNING) == 2  # the default for a kind not given
    assert settings.ladder == [LadderStep(points=5, kind=PenaltyKind.WARNING)]
    assert settings.gifts_require_verification is True
    assert settings.score_base == 100


def test_a_bad_ladder_is_refused() -> None:
    with pytest.raises(ValueError, match="strictly ascending"):
        ModerationSettings.of(
            Settings(
                moderation_ladder=[{"points": 6, "kind": "warning"}, {"points": 6, "kind": "ban"}]
            )
        )
    with pytest.raises(ValueError, match="a fine step needs an amount"):
        ModerationSettings.of(Settings(moderation_ladder=[{"points": 6, "kind": "fine"}]))


def test_every_governance_setting_is_a_field_of_the_one_settings_object() -> None:
    prefixed = {name.removeprefix("moderation_") for name in Settings.model_fields}
    assert sorted(set(ModerationSettings.model_fields) - prefixed) == []
    assert ModerationSettings() == ModerationSettings.of(Settings())


def test_one_settings_class_reads_the_environment() -> None:
    readers = [
        f"{path.relative_to(SRC)}:{node.name}"
        for path in sorted(SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id == "BaseSettings" for base in node.bases)
    ]
    assert readers == ["core/settings.py:Settings"]
