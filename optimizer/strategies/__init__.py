"""Strategies of the POLCA engine: one small Protocol per decision, one registry each."""
