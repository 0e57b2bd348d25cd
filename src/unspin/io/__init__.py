"""Documents in and result rows out: reading text, JSON Lines rows and the limits on them
(`inputs`), the loaders of every input format (`loaders`), the writers of every
output format (`outputs`), and documents to `{"id", "text"}` JSON Lines (`extract`).
Screening imports io, never the reverse."""
