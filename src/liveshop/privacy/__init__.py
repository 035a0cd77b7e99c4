"""Privacy (PIPL / GDPR): the consent ledger, masking at the serialiser, data
export and erasure, and retention.

``privacy`` sits on layer 2, so it cannot reach the data of the domains above
it; they register what they hold instead (``liveshop.privacy.registry``), and
``liveshop.privacy_wiring`` does that for accounts, orders, payments and events.
"""
