"""Which routes take an id: a path parameter, or a body field that names an object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts

RouteKey = tuple[str, str]
MAX_DEPTH = 6  # bodies nest objects a few levels deep (a report's evidence's context lines)


def _id_fields(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Iterator[str]:
    """Names of the fields that hold ids (``*_id``, ``*_ids``), however deep."""
    if depth > MAX_DEPTH:
        return
    if "$ref" in schema:
        yield from _id_fields(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth + 1)
        return
    for name, field in schema.get("properties", {}).items():
        if name.endswith(("_id", "_ids")):
            yield name
        yield from _id_fields(field, defs, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _id_fields(option, defs, depth + 1)
    if isinstance(schema.get("items"), dict):
        yield from _id_fields(schema["items"], defs, depth + 1)


def routes_with_ids(app: FastAPI) -> dict[RouteKey, list[str]]:
    """Every route whose path or body names an object, with the names."""
    openapi = app.openapi()
    defs = openapi.get("components", {}).get("schemas", {})
    found: dict[RouteKey, list[str]] = {}
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                schema = content.get("schema", {})
                names += sorted(set(_id_fields(schema, defs | schema.get("$defs", {}))))
            if names:
                found[(method.upper(), path)] = names
    return found | _unlisted_routes_with_ids(app)


def _unlisted_routes_with_ids(app: FastAPI) -> dict[RouteKey, list[str]]:
    """Routes the schema leaves out (pages, the sandbox wallet, WebSockets) that take ids."""
    found: dict[RouteKey, list[str]] = {}
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if path is None or "{" not in path:
            continue
        names = [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]
        if isinstance(route, APIWebSocketRoute):
            found[("WEBSOCKET", path)] = names
        elif isinstance(route, APIRoute) and not route.include_in_schema:
            for method in sorted(route.methods or ()):
                found[(method, path)] = names
    return found
