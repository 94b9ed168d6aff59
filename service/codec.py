"""Faust codec for orjson, registered as "orjson" so topics and tables can name it."""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

from . import jsonio


class OrjsonCodec(codecs.Codec):
    def _dumps(self, s: Any) -> bytes:
        return jsonio.dumps(s)

    def _loads(self, s: bytes) -> Any:
        return jsonio.loads(s)


def register() -> None:
    codecs.register("orjson", OrjsonCodec())
