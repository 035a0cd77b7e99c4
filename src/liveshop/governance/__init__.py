"""Governance: what happens after the filter.

Reports and their queue (``reports``), penalties on the points ladder
(``penalties``, read through ``queries``), appeals (``appeals``), host and shop
scores (``scores``), qualifications and identity checks (``qualifications/``),
product inspections and delistings (``inspections``), and the regulator's
read-only API (``regulator_api``). Every decision is written to the core audit
log (``liveshop.core.audit``).
"""
