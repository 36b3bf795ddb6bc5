"""The township reserve fund (备用金, issue 15): an append-only ledger per township."""
