"""Small OSV records the tests write: one builder, every range type."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def record(osv_id: str, ecosystem: str, name: str, *, events: list[dict[str, str]] | None = None, kind: str = "ECOSYSTEM",
           versions: list[str] | None = None, modified: str = "2026-01-01T00:00:00Z", **extra: Any) -> dict[str, Any]:
    """One OSV record affecting one package."""
    affected: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if events is not None:
        affected["ranges"] = [{"type": kind, "events": events}]
    if versions is not None:
        affected["versions"] = versions
    return {"schema_version": "1.6.0", "id": osv_id, "modified": modified, "affected": [affected], **extra}


def fixed_below(osv_id: str, ecosystem: str, name: str, fixed: str, **extra: Any) -> dict[str, Any]:
    """Every version before ``fixed`` is affected."""
    return record(osv_id, ecosystem, name, events=[{"introduced": "0"}, {"fixed": fixed}], **extra)


def write(folder: Path, *records: dict[str, Any]) -> Path:
    """Each record as ``<id>.json`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in records:
        (folder / f"{item['id']}.json").write_text(json.dumps(item), encoding="utf-8")
    return folder


CVSS_HIGH = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]  # 7.5
CVSS_CRITICAL = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]  # 9.8
CVSS_MEDIUM = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}]  # 6.1
