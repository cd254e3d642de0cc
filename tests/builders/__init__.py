"""Builders of test data shared by the test areas (``observations``: the records of a run)."""
