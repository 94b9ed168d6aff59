"""Structured logging: one JSON object per line, quiet at INFO (library chatter at WARNING)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from . import jsonio

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
NOISY = ("aiokafka", "faust", "mode", "kafka", "aiohttp")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                # exact types: a str subclass such as settings.Secret must go through its
                # own __str__ (masked), not be serialised as the raw string by orjson
                plain = type(value) in (str, int, float, bool)
                doc[key] = value if plain else str(value)
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return jsonio.dumps_line(doc)


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig for the worker; libraries stay at WARNING unless level is debug."""
    level = level.upper()
    lib_level = "DEBUG" if level == "DEBUG" else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {name: {"level": lib_level} for name in NOISY},
    }
