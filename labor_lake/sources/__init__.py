"""Connectors to official sources: each turns a raw payload into rows of core/observations."""
