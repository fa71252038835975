"""The options model of an analyzer that takes none.

Its own module because both the analyzer contract and the analysis context
name it, and the contract must not import the context (GitPython) at run time.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class NoOptions(BaseModel):
    """Options model for analyzers that take none; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")
