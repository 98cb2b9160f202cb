"""The customer display: a pole display on a serial line (``port``) showing what ``pole`` says
of the sale, and the large-type view of the lane's sale for a screen turned to the customer
(``fairpos display``, in :mod:`fairpos.tui.customer`)."""
