"""Organisations, users, roles and access rules."""
