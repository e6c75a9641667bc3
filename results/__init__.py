"""Results: what the events reached, per organisation and for the region. Reads events, stores nothing."""
