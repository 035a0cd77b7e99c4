"""The hash-chained audit log every domain writes to: ``log.append_audit`` adds
an entry in the caller's transaction, ``log.verify_audit_chain`` checks the
chain, ``cli`` is ``liveshop audit``; the tables are in ``models``."""
