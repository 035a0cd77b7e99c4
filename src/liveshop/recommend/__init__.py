"""Recommendations: which live rooms and products each viewer sees.

Offline: interaction logs, the exact per-user time split, models (item-based CF,
ALS, content, time-decayed popularity, buy again, a hybrid) and their metrics.
Online: models trained from the behaviour store, versioned under
``LIVESHOP_HOME``, served from precomputed candidates with an online re-rank.
"""
