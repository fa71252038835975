"""The built-in embedding providers: a local sentence-transformers model and an OpenAI-compatible endpoint.

Each is a plugin (entry points ``embeddings-local`` and ``embeddings-openai``
of the ``coe`` group) implementing ``coe_embedding_model`` and
``coe_embed_documents``, and each does nothing unless
``COE_EMBEDDINGS_PROVIDER`` names it (``local`` or ``openai``).
"""
from __future__ import annotations


PROVIDER_SETTING = "COE_EMBEDDINGS_PROVIDER"


def selected(name: str) -> bool:
    """True when ``COE_EMBEDDINGS_PROVIDER`` names provider ``name``."""
    from coe_framework.plugin_api import environ

    return environ().get(PROVIDER_SETTING, "").strip().lower() == name


class ProviderError(RuntimeError):
    """A provider cannot embed (misconfigured, unreachable, bad answer); one line."""
