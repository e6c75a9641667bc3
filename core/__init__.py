"""What every layer stands on: small shared helpers with no feature knowledge."""
