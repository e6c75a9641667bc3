"""The rules of contacts and campaigns: plain values in, flush but never commit, Dutch errors out."""
