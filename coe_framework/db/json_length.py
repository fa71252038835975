"""The length of a JSON array inside a JSON column, compiled for each database.

``json_array_length(column, key)`` counts the items of the array at
``column -> key`` inside the database, so a page can show and sort by "how
many hotspots" without reading the result document. ``key`` is a constant
of the code (a top-level member name), never user input. A missing member
or a value that is not an array gives NULL on every database.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class json_array_length(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it compiles to
    """``len(column[key])`` when it is a JSON array, else NULL."""

    type = Integer()
    inherit_cache = True
    name = "json_array_length"

    def __init__(self, column: Any, key: str):
        if not key.isidentifier():
            raise ValueError(f"a JSON member name made of letters, digits and _ was expected, not {key!r}")
        self.key = key
        super().__init__(column)


def _column(element: json_array_length, compiler: Any, **kw: Any) -> str:
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(json_array_length, "sqlite")
def _sqlite(element: json_array_length, compiler: Any, **kw: Any) -> str:
    value = f"json_extract({_column(element, compiler, **kw)}, '$.{element.key}')"
    return f"CASE json_type({_column(element, compiler, **kw)}, '$.{element.key}') WHEN 'array' THEN json_array_length({value}) END"


@compiles(json_array_length, "postgresql")
def _postgresql(element: json_array_length, compiler: Any, **kw: Any) -> str:
    value = f"({_column(element, compiler, **kw)} -> '{element.key}')"
    # JSONB on PostgreSQL (models.JSONType); jsonb_array_length raises on a non-array, hence the CASE.
    return f"CASE jsonb_typeof({value}) WHEN 'array' THEN jsonb_array_length({value}) END"


@compiles(json_array_length, "mysql")
@compiles(json_array_length, "mariadb")
def _mysql(element: json_array_length, compiler: Any, **kw: Any) -> str:
    column = _column(element, compiler, **kw)
    return f"CASE JSON_TYPE(JSON_EXTRACT({column}, '$.{element.key}')) WHEN 'ARRAY' THEN JSON_LENGTH({column}, '$.{element.key}') END"


@compiles(json_array_length)
def _default(element: json_array_length, compiler: Any, **kw: Any) -> str:
    raise NotImplementedError(f"json_array_length is not compiled for {compiler.dialect.name}")


__all__ = ["json_array_length"]
