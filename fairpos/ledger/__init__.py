"""The central ledger: every stall's sales once, reports, catalog and rates for the stalls."""
