"""Effect: what people thought of a session, what they learned, what they did afterwards, what they ran into."""
