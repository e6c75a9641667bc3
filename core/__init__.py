"""What every layer stands on: database helpers, links, the unit of work; imports no feature."""
