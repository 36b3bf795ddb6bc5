"""Stock: levels, lots and expiry, the append-only ledger, receipts and stocktakes."""
