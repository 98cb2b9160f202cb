"""Sync with the central ledger: wire protocol, outbox relay and bundle files."""
