"""What every layer stands on: database and time helpers, request parsing, shared form fields, CSV,
links and the unit of work; imports no feature."""
