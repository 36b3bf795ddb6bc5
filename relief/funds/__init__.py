"""Relief funds passed down by need (资金下拨, issue 16)."""
