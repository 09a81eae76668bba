"""Use cases. Each service validates, writes and commits (or rolls back) one transaction and
raises a ``ServiceError`` with a message for the user; routes and commands only call them."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a message that can be shown to the user (lazily translated)."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)
