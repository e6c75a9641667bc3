"""Public newsletter pages (subscribe, confirm, unsubscribe, preferences) and the admin pages."""
