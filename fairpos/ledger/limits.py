"""The ledger's limits and their defaults, in one light module (the command line reads them
without loading the server)."""

REQUEST_SECONDS = 30.0  # for a whole request (headers and body) to arrive
IDLE_SECONDS = 5  # a kept-alive connection with nothing more to say
MAX_CONNECTIONS = 1000  # at once; past it, requests get 503 (a stall retries)
PER_ADDRESS = 64  # connections at once from an address that has shown no token lately
RESERVE = 100  # of the connections, kept for addresses that have
SEQ_AHEAD = 100_000  # how far past a device's resume point an entry's seq may be
MISSING_SHOWN = 1_000  # missing seqs listed in a reply (a count says how many in all)
SESSION_HOURS = 12  # an admin's sign-in lasts this long
UPSTREAM_PERIOD = 10.0  # seconds between a hub's rounds with the centre while the uplink answers
# batches one ledger process checks and stores at once; the others wait their turn. Checking
# is work for the processor under one interpreter lock: more at once only share it (and its
# caches), and every batch of a reconnection wave takes longer
BATCHES_AT_ONCE = 3
# seconds a lane's request waits for the database while it cannot be reached (a failover: a
# Patroni TTL of 10-30 s and the time to reconnect), then 503 — less than a lane waits for an
# answer (30 s), so that a lane is told "unavailable" rather than left to time out
FAILOVER_SECONDS = 25.0
PATIENCE_ENV = "FAIRPOS_LEDGER_DB_PATIENCE"  # ``ledger serve --db-patience``, for each worker
