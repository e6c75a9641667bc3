"""Contacts, consent and mail campaigns."""
