"""The API's JSON parser: bounded in size and in nesting before anything is parsed.

Python's json module recurses once per nesting level: a body of a thousand `[` raised RecursionError, a 500. Here
the body is read up to DATA_UPLOAD_MAX_MEMORY_SIZE and its nesting measured (outside strings) first; past either
bound the answer is a 400 in French. No payload of this API nests deeper than a few levels.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")


def json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `body` (strings left out), counted up to `limit` + 1."""
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", body))
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise ParseError(f"Le corps de la requête dépasse {limit // 1024} Kio.")
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON imbriqué sur plus de {MAX_JSON_DEPTH} niveaux : refusé.")
        try:
            return json.loads(body.decode(self._charset(parser_context)), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON mal formé : {exc}") from exc

    @staticmethod
    def _charset(parser_context: Any) -> str:
        return str((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"valeur non admise en JSON : {name}")
