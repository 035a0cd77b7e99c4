"""Privacy (PIPL / GDPR): the consent ledger, masking at the serialiser, data
export and erasure, and retention.

``privacy`` sits below most domains, so it cannot reach their data; each domain
keeps export, erasure and retention hooks of its own (``*/privacy_hooks.py``)
and ``liveshop.wiring`` registers them (``liveshop.privacy.registry``,
``liveshop.privacy.retention``).
"""
