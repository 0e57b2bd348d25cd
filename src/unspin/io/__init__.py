"""Documents in and result rows out: reading text, JSON Lines rows and the limits on them
(`inputs`), the loaders of every input format (`loaders`), and the writers of every
output format (`outputs`). Screening imports io, never the reverse."""
