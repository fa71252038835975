"""json_array_length: the length of a JSON array member, counted by the database itself."""
from __future__ import annotations

import pytest
from sqlalchemy import column, create_engine, literal, select, table
from sqlalchemy.dialects import mysql

from coe_framework.db.json_length import json_array_length


@pytest.mark.parametrize(("document", "expected"), [
    ('{"hotspots": [1, 2, 3]}', 3),
    ('{"hotspots": []}', 0),
    ('{"hotspots": {"a": 1}}', None),  # not an array: no count
    ('{"hotspots": "abc"}', None),
    ('{"other": [1]}', None),
])
def test_sqlite_counts_only_arrays(document: str, expected: int | None) -> None:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.scalar(select(json_array_length(literal(document), "hotspots"))) == expected


def test_mysql_and_mariadb_use_json_length() -> None:
    results = table("r", column("data"))
    sql = str(select(json_array_length(results.c.data, "hotspots")).compile(dialect=mysql.dialect()))
    assert "JSON_LENGTH(r.data, '$.hotspots')" in sql and "'ARRAY'" in sql


@pytest.mark.parametrize("key", ["a.b", "x'); DROP TABLE r; --", "", "$"])
def test_only_plain_member_names_are_accepted(key: str) -> None:
    with pytest.raises(ValueError):
        json_array_length(column("data"), key)
