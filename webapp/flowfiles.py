"""The flows directory: each live LangFlow flow mirrored as ``<name>.json``.

Tools that still read flow files see every change the API makes. Writes are
atomic (a temporary file renamed into place). Importing reads ``*.json``
files from a directory, never following symlinks and skipping files over
:data:`MAX_FLOW_FILE_BYTES`.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coe_framework.db.models import LangFlow, utcnow
from coe_framework.db.store import usable_flow_id
from coe_framework.jsonfiles import MAX_JSON_FILE_BYTES, read_json_object

from .schemas import FLOW_NAME_PATTERN

MAX_FLOW_FILE_BYTES = MAX_JSON_FILE_BYTES
_NAME = re.compile(FLOW_NAME_PATTERN)


def flow_document(flow: LangFlow) -> dict[str, Any]:
    """What a flow file holds (LangFlow's export shape: id, name, description, data)."""
    return {"id": flow.flow_id, "name": flow.name, "description": flow.description, "data": flow.data, "is_active": flow.is_active}


def flow_path(directory: Path, name: str) -> Path:
    if not _NAME.match(name) or name in (".", ".."):
        raise ValueError(f"'{name}' is not a valid flow name")
    return directory / f"{name}.json"


def write_flow(directory: Path, flow: LangFlow) -> None:
    """Write (or replace) ``<name>.json`` atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    target = flow_path(directory, flow.name)
    fd, tmp = tempfile.mkstemp(prefix=".flow-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(flow_document(flow), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_flow(directory: Path, name: str) -> None:
    """Remove ``<name>.json`` if present (a regular file only)."""
    target = flow_path(directory, name)
    if target.is_file() and not target.is_symlink():
        target.unlink()


@dataclass
class ImportReport:
    """What ``coe flows import`` did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _read_flow_file(path: Path) -> dict[str, Any]:
    return read_json_object(path, MAX_FLOW_FILE_BYTES)


def import_directory(session: Session, directory: Path) -> ImportReport:
    """Load every ``*.json`` flow in ``directory``: new names are created, live ones updated."""
    if not directory.is_dir():
        raise ValueError(f"'{directory}' is not a directory")
    report = ImportReport()
    for path in sorted(directory.glob("*.json")):
        try:
            document = _read_flow_file(path)
            name = str(document.get("name") or path.stem)
            flow_path(directory, name)
            data = document.get("data", {})
            if not isinstance(data, dict):
                raise ValueError("'data' must be a JSON object")
            description = document.get("description")
        except (ValueError, OSError) as exc:
            report.skipped[path.name] = str(exc)
            continue
        flow = session.scalar(select(LangFlow).where(LangFlow.name == name, LangFlow.deleted_at.is_(None)))
        if flow is None:
            flow_id = usable_flow_id(session, document.get("id"))
            session.add(LangFlow(flow_id=flow_id, name=name, description=description if isinstance(description, str) else None, data=data))
            report.created.append(name)
        else:
            flow.data = data
            flow.description = description if isinstance(description, str) else flow.description
            flow.updated_at = utcnow()
            report.updated.append(name)
        session.flush()
    return report
