"""Lab scenarios: ``clearsight run`` inside the client namespace of a censorship lab."""

from tests.lab.fixtures import lab, make_lab  # noqa: F401  (pytest fixtures)
