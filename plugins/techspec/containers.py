"""Containers and orchestration: Dockerfiles (base images, tags, stages),
compose services, Kubernetes objects and Helm charts."""
from __future__ import annotations

import io
from typing import Any, Iterator

from dockerfile_parse import DockerfileParser

from .safeload import ManifestError, load_yaml, load_yaml_all
from .manifests.base import listing, mapping, text_or_none

DOCKERFILE_PATTERNS = ("Dockerfile", "Containerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile.*")
COMPOSE_PATTERNS = ("docker-compose.yml", "docker-compose.yaml", "docker-compose.*.yml", "docker-compose.*.yaml",
                    "compose.yml", "compose.yaml", "compose.*.yml", "compose.*.yaml")
HELM_CHART = "Chart.yaml"
#: Most objects listed per Kubernetes file.
MAX_OBJECTS = 100


def split_image(reference: str) -> dict[str, str | None]:
    """``registry/name:tag@sha256:...`` -> {"image", "tag", "digest"}."""
    name, _, digest = reference.partition("@")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    return {"image": name, "tag": tag, "digest": digest or None}


def parse_dockerfile(text: str) -> list[dict[str, Any]]:
    """The build stages of a Dockerfile, in order.

    dockerfile-parse reads the instructions (continuations, comments, ``ARG``
    substitution in ``FROM``); nothing is built or executed. A stage whose
    base is an earlier stage says so in ``from_stage``.
    """
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")))
    try:
        structure = parser.structure
        resolved = parser.parent_images
    except Exception as exc:  # noqa: BLE001 - hostile text may break the parser in many ways
        raise ManifestError(f"invalid Dockerfile: {' '.join(str(exc).split())[:200]}") from None
    froms = [item for item in structure if item["instruction"] == "FROM"]
    stages: list[dict[str, Any]] = []
    names: set[str] = set()
    for index, item in enumerate(froms):
        words = item["value"].split()
        platform = next((w.split("=", 1)[1] for w in words if w.startswith("--platform=")), None)
        words = [w for w in words if not w.startswith("--")]
        alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        image = resolved[index] if index < len(resolved) else (words[0] if words else "")
        from_stage = image if image in names else None
        stage: dict[str, Any] = {"name": alias, "line": item["startline"] + 1, "platform": platform, "from_stage": from_stage}
        stage.update({"image": None, "tag": None, "digest": None} if from_stage else split_image(image))
        stages.append(stage)
        if alias:
            names.add(alias)
    if not stages:
        raise ManifestError("Dockerfile has no FROM instruction")
    return stages


def parse_compose(text: str) -> list[dict[str, Any]]:
    """Compose services with their image and build context."""
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise ManifestError("compose file is not a mapping")
    services = []
    for name, spec in mapping(data.get("services")).items():
        spec = mapping(spec)
        build = spec.get("build")
        if isinstance(build, dict):
            build = text_or_none(build.get("context")) or "."
        services.append({"name": str(name), "image": text_or_none(spec.get("image")), "build": text_or_none(build)})
    return services


def _images(node: Any) -> Iterator[str]:
    """Container images anywhere in a Kubernetes object (pods, templates, jobs)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("containers", "initContainers", "ephemeralContainers"):
                    for container in listing(value):
                        image = text_or_none(mapping(container).get("image"))
                        if image:
                            yield image
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


def looks_like_kubernetes(text: str) -> bool:
    """A cheap test before parsing YAML: both top-level keys must appear."""
    return "apiVersion:" in text and "kind:" in text


def parse_kubernetes(text: str) -> list[dict[str, Any]]:
    """Kubernetes objects of a (multi-document) YAML file; [] when it holds none."""
    objects = []
    for document in load_yaml_all(text):
        if not isinstance(document, dict) or "apiVersion" not in document or "kind" not in document:
            continue
        kinds = [document] if document.get("kind") != "List" else [mapping(i) for i in listing(document.get("items"))]
        for obj in kinds:
            if len(objects) >= MAX_OBJECTS:
                break
            objects.append({
                "kind": text_or_none(obj.get("kind")),
                "api_version": text_or_none(obj.get("apiVersion")),
                "name": text_or_none(mapping(obj.get("metadata")).get("name")),
                "images": sorted(set(_images(obj))),
            })
    return objects


def parse_helm_chart(text: str) -> dict[str, Any]:
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise ManifestError("Chart.yaml is not a mapping")
    return {
        "name": text_or_none(data.get("name")),
        "version": text_or_none(data.get("version")),
        "app_version": text_or_none(data.get("appVersion")),
        "api_version": text_or_none(data.get("apiVersion")),
        "dependencies": [
            {"name": text_or_none(d.get("name")), "version": text_or_none(d.get("version")), "repository": text_or_none(d.get("repository"))}
            for d in (mapping(item) for item in listing(data.get("dependencies")))
        ],
    }
