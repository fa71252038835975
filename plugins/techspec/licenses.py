"""Licenses as SPDX expressions: identified from license texts, normalized
from manifest declarations with license-expression."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any, Iterable

from license_expression import Licensing, get_spdx_licensing

from .languages import load_data_file

#: File names (upper-cased, extension dropped) that hold a repository's license.
LICENSE_FILE_STEMS = frozenset({"LICENSE", "LICENCE", "COPYING", "UNLICENSE", "LICENSE-MIT", "LICENSE-APACHE", "COPYING.LESSER"})
#: Bytes of a license file that are looked at.
MAX_LICENSE_TEXT = 256 * 1024


@lru_cache(maxsize=1)
def _licensing() -> Licensing:
    return get_spdx_licensing()


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    data = load_data_file("licenses.yaml")
    aliases = {str(k).lower(): str(v) for k, v in data["aliases"].items()}
    texts = [(item["id"], [p.lower() for p in item["phrases"]]) for item in data["texts"]]
    return aliases, texts


def is_license_file(path: str) -> bool:
    """True for root-level license files (``LICENSE``, ``COPYING.txt``...)."""
    if "/" in path:
        return False
    stem = path.upper()
    for suffix in (".TXT", ".MD", ".RST"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    return stem in LICENSE_FILE_STEMS


@lru_cache(maxsize=4096)
def normalize(declared: str) -> str | None:
    """A declared license as a normalized SPDX expression, or None when unknown.

    ``Apache 2.0`` and ``MIT/Apache-2.0`` are understood through the alias
    table and the old slash notation; anything license-expression cannot
    validate returns None.
    """
    text = " ".join(declared.split())
    if not text or len(text) > 500:
        return None
    aliases, _ = _data()
    text = aliases.get(text.lower(), text)
    if "/" in text and " " not in text:
        text = " OR ".join(text.split("/"))
    try:
        info = _licensing().validate(text)
    except Exception:  # noqa: BLE001 - the library raises assorted errors on free text
        return None
    if info.errors or not info.normalized_expression:
        return None
    return str(info.normalized_expression)


def identify_text(text: str) -> str | None:
    """The SPDX identifier of a license text, by the phrases in ``licenses.yaml``."""
    _, texts = _data()
    flat = " ".join(re.sub(r"[*#>]", " ", text[:MAX_LICENSE_TEXT].lower()).split())
    flat = flat.replace("\u2018", "'").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    for spdx, phrases in texts:
        if all(p in flat for p in phrases):
            return spdx
    return None


def combine(expressions: Iterable[str]) -> str | None:
    """Distinct expressions joined with AND (each one is required), simplified."""
    unique = list(dict.fromkeys(e for e in expressions if e))
    if not unique:
        return None
    if len(unique) == 1:
        return unique[0]
    joined = " AND ".join(f"({e})" for e in unique)
    try:
        return str(_licensing().parse(joined).simplify())
    except Exception:  # noqa: BLE001
        return joined


def repository_licenses(files: list[tuple[str, str]], declared: list[tuple[str, str]]) -> dict[str, Any]:
    """The repository's license from root license files and root manifests.

    ``files`` holds (path, text) of license files; ``declared`` (manifest path,
    license string) pairs. Returns the combined expression and every source.
    """
    sources = []
    for path, text in files:
        spdx = identify_text(text)
        sources.append({"source": path, "kind": "file", "declared": None, "spdx": spdx})
    for path, value in declared:
        if "/" in path:
            continue  # only the root project's manifests speak for the repository
        sources.append({"source": path, "kind": "manifest", "declared": value, "spdx": normalize(value)})
    return {"expression": combine(s["spdx"] for s in sources), "sources": sources}


def dependency_license_counts(licenses: Iterable[str | None]) -> dict[str, int]:
    """How many dependencies declare each (normalized when possible) license."""
    counts = Counter(normalize(value) or value for value in licenses if value)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
