"""Keeping a Redis stream read through consumer groups from growing without bound.

An entry may go once every group has acknowledged it. For each group, everything
before its oldest pending entry (read, not yet acknowledged) has been acknowledged,
and when nothing is pending, everything up to the last entry delivered to it has; an
entry never delivered is never dropped. ``trim_acknowledged`` drops the entries
before the lowest of those marks, in one script (no group moves meanwhile).
"""

from __future__ import annotations

from typing import Any

import redis

# KEYS: the stream. Returns how many entries were dropped.
TRIM_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local function parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function below(a, b)
  local a_ms, a_seq = parts(a)
  local b_ms, b_seq = parts(b)
  return a_ms < b_ms or (a_ms == b_ms and a_seq < b_seq)
end
local floor = nil
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local fields = {}
  for index = 1, #group, 2 do fields[group[index]] = group[index + 1] end
  local needed = fields['last-delivered-id']
  if tonumber(fields['pending']) > 0 then
    needed = redis.call('XPENDING', KEYS[1], fields['name'])[2]
  end
  if floor == nil or below(needed, floor) then floor = needed end
end
if floor == nil then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', floor)
"""


def trim_acknowledged(client: redis.Redis, stream: str) -> int:
    """Drop the stream's entries every consumer group has acknowledged (a stream
    without a group keeps everything); the number dropped."""
    dropped: Any = client.register_script(TRIM_SCRIPT)(keys=[stream])
    return int(dropped)
