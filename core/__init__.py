"""What every layer stands on: database and time helpers, request parsing, shared form fields, CSV."""
