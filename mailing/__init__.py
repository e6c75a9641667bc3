"""Outgoing mail: the outbox, rendering, transports and the worker. Imports no feature package."""
