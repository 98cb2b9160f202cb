"""Sync with the central ledger: the wire protocol, the relay that pushes the outbox, bundles."""
