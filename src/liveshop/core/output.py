"""How commands print reports: a rich table for people, JSON for scripts."""

from __future__ import annotations

import enum


class OutputFormat(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
