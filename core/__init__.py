"""What every feature stands on: database helpers, the unit of work, and the other shared pieces."""
