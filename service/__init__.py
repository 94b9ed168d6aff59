"""newsflow: real-time dedup and enrichment of news article streams."""

__version__ = "0.1.0"
