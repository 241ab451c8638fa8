"""The engine: the Mesa model with the one written step order, the ledger, year-end settlement and metrics."""
