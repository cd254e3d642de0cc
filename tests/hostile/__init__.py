"""Hostile networks and bad input (issue #7): never hang, never crash, never lie."""
