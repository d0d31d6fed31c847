"""The API's JSON parser: bounded in size and in nesting depth, so bad bodies answer 4xx."""

import io

from django.conf import settings

from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def nesting_depth(value, limit: int) -> int:
    """Return how deep lists and objects nest in `value`, counting no further than limit + 1."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (413) and JSON
    nested deeper than API_MAX_JSON_DEPTH (400), which would otherwise exhaust memory or
    Python's recursion limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # DRF reads the body from the request stream, past Django's own size check.
        body = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit:,} bytes.")
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - nested too deeply.") from error
        max_depth = settings.API_MAX_JSON_DEPTH
        if nesting_depth(data, max_depth) > max_depth:
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
        return data
