"""Pure text functions: cleaning scraped article bodies."""

from .clean import clean_text

__all__ = ["clean_text"]
