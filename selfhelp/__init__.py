"""Self-help pages: short pages an organisation publishes on what to do after a scam or a hack."""
