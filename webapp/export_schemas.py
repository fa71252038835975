"""Response bodies of ``GET /api/v1/export-formats``."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ExportOptionOut(BaseModel):
    name: str
    type: str = Field(description="float, int, str or choice")
    default: Any = None
    help: str = ""
    minimum: float | None = None
    choices: list[str] = Field(default_factory=list)


class ExportFormatOut(BaseModel):
    name: str = Field(description="The NAME of /api/v1/analyses/{id}/exports/{name} and coe export --format")
    media_type: str
    suffix: str = Field(description="File name suffix, such as .sarif")
    description: str = ""
    analyzers: list[str] | None = Field(None, description="The analyzers whose results the format reads; null: all")
    plugin: str = Field(description="The plugin that registered it (coe: the framework)")
    options: list[ExportOptionOut] = Field(description="Query parameters the format takes")


class ExportFormatsOut(BaseModel):
    items: list[ExportFormatOut]
