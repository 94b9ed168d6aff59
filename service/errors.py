"""Errors of newsflow.

NewsflowError
 ├── InvalidArticle      a raw event that cannot be processed (becomes a dead letter)
 ├── EnrichmentError     a valid article the enrichment could not handle
 └── BrokerError         the local Kafka broker could not be set up or reached
"""

from __future__ import annotations


class NewsflowError(Exception):
    """Root of all newsflow errors."""


class InvalidArticle(NewsflowError):
    """A raw event that fails decoding or validation; `code` is a stable reason key."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EnrichmentError(NewsflowError):
    """An article that passed validation but broke an enrichment step."""


class BrokerError(NewsflowError):
    """The local Kafka broker failed to start, stop or answer."""
