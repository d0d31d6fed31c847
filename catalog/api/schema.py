"""The OpenAPI schema: human titles per operation, and the error answers every operation
can give."""

from drf_spectacular.openapi import AutoSchema

ACTIONS = {
    "list": "List {plural}",
    "create": "Create {a}",
    "retrieve": "Get {a}",
    "update": "Replace {a}",
    "partial_update": "Update some fields of {a}",
    "destroy": "Delete {a}",
}


class CatalogAutoSchema(AutoSchema):
    """Operations titled in words ("List appearances", "Get a video") rather than by id."""

    def get_summary(self):
        summary = super().get_summary()
        if summary:
            return summary
        action = getattr(self.view, "action", None)
        queryset = getattr(self.view, "queryset", None)
        if action not in ACTIONS or queryset is None:
            return None
        meta = queryset.model._meta
        name = str(meta.verbose_name)
        article = "an" if name[:1].lower() in "aeiou" else "a"
        return ACTIONS[action].format(plural=meta.verbose_name_plural, a=f"{article} {name}")


ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "`detail` for errors about the request as a whole; otherwise one list of messages "
        "per invalid field or parameter, named as sent."
    ),
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}

ERRORS = {
    "400": "Invalid input or parameter; the body names each one.",
    "401": "Not authenticated (writes need a token or a session).",
    "403": "Authenticated, but without the permission for this action.",
    "404": "No such object, or not visible to you (drafts are staff-only).",
    "429": "Too many requests; retry after the seconds in the Retry-After header.",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
            if code_429 := responses.get("429"):
                code_429.setdefault("headers", {})["Retry-After"] = {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before retrying.",
                }
            if method == "delete":
                responses.setdefault(
                    "409",
                    {
                        "description": "Still in use by other rows, so not deleted.",
                        "content": {"application/json": {"schema": reference}},
                    },
                )
            if method == "get" and path.endswith("{id}/"):
                responses.setdefault(
                    "304", {"description": "Not modified: If-None-Match matched the ETag."}
                )
    return result
