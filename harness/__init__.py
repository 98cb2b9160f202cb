"""What the tests and the benchmarks both drive, without pytest: a lane's folder run through
its command line (``lanes``), the far ends of the wires we do not own, speaking their real
bytes (a printer, a scale, a pole display), a ledger as a real process and the requests to it
(``sync_helpers``, ``web``), a fault-injecting proxy, hostile sockets, and PostgreSQL servers of
their own (``postgres``)."""
