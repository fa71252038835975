"""Options and Result models of the techspec analyzer."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field


class TechSpecOptions(BaseModel):
    """What a user can tune; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    max_manifest_size: int = Field(
        5 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024,
        description="Bytes above which a manifest, lock, CI or doc file is reported and not read.",
    )
    max_documents: int = Field(500, ge=0, le=100_000, description="Documentation files described in the inventory.")
    max_yaml_scan: int = Field(2_000, ge=0, le=1_000_000, description="Other YAML files examined for Kubernetes objects.")
    include_transitive: bool = Field(True, description="Keep locked packages that no manifest declares (direct: false).")
    detect_shebangs: bool = Field(True, description="Read extension-less files' first line to find their language.")


class DependencyModel(BaseModel):
    ecosystem: str
    name: str
    constraint: Optional[str]
    version: Optional[str]
    scope: str
    manifest: str
    license: Optional[str]
    direct: bool


class LanguageModel(BaseModel):
    bytes: int
    files: int
    share_bytes: float
    share_files: float


class FrameworkModel(BaseModel):
    name: str
    category: str
    evidence: list[str]


class RuntimeModel(BaseModel):
    name: str
    version: str
    source: str


class FindingModel(BaseModel):
    path: str
    kind: str
    message: str


class InfrastructureModel(BaseModel):
    containers: list[dict[str, Any]]
    compose: list[dict[str, Any]]
    ci: list[dict[str, Any]]
    kubernetes: list[dict[str, Any]]
    helm: list[dict[str, Any]]


class LicensesModel(BaseModel):
    #: The repository's license as an SPDX expression (None when unknown).
    repository: Optional[str]
    sources: list[dict[str, Any]]
    #: Dependencies per declared license.
    dependencies: dict[str, int]


class TechSpecResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    languages: dict[str, LanguageModel]
    language_totals: dict[str, Any]
    dependencies: list[DependencyModel]
    manifests: list[dict[str, Any]]
    frameworks: list[FrameworkModel]
    infrastructure: InfrastructureModel
    runtimes: list[RuntimeModel]
    licenses: LicensesModel
    docs: list[dict[str, Any]]
    findings: list[FindingModel]
