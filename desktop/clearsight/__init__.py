"""Clearsight: tells you in plain words what on your network is blocked, how, and what to do."""

__version__ = "0.1.0"
APP_NAME = "Clearsight"
