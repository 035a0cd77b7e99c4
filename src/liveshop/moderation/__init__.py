"""Moderation: text filtering that survives evasion, and advertising-law checks.

* ``engine.default_moderator().moderate(text, surface=Surface.COMMENT)`` judges
  a comment, a username, a title or a coupon name (``Verdict``: action,
  categories, matches with original positions, masked text);
  ``engine.Moderator(directories)`` does the same over operator lists,
  reloaded when their files change; ``engine.RoomBlocklist(terms)`` adds a
  host's own terms to one call.
* ``compliance.check_copy(text, price_history=..., registered_names=...)``
  checks seller copy against the advertising law; ``host_script.check_script``
  checks a host's script or subtitles cue by cue.
"""
