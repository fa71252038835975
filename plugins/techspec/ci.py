"""CI systems and their jobs: GitHub Actions (with action versions), GitLab
CI, CircleCI, Jenkins, Azure Pipelines, plus detection of a few others."""
from __future__ import annotations

import re
from typing import Any, Callable

from .manifests.base import listing, mapping, text_or_none
from .safeload import ManifestError, load_yaml

_GITLAB_RESERVED = frozenset({
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script", "types",
})
_JENKINS_STAGE = re.compile(r"""\bstage\s*\(\s*['"]([^'"]+)['"]\s*\)""")
_JENKINS_IMAGE = re.compile(r"""\bimage[ \t]*(?:\([ \t]*)?['"]([^'"]+)['"]""")
_JENKINS_AGENT = re.compile(r"\bagent\b")


def _split_uses(uses: str) -> dict[str, str | None]:
    """``actions/checkout@v4`` -> {"uses": "actions/checkout", "version": "v4"}."""
    if uses.startswith(("docker://", "./")):
        return {"uses": uses, "version": None}
    name, _, version = uses.partition("@")
    return {"uses": name, "version": version or None}


def _load_mapping(text: str, what: str) -> dict[str, Any]:
    data = load_yaml(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ManifestError(f"{what} is not a mapping")
    return data


def github_actions(text: str) -> dict[str, Any]:
    data = _load_mapping(text, "workflow")
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    if isinstance(triggers, str):
        triggers = [triggers]
    jobs = []
    actions: list[dict[str, str | None]] = []
    for job_id, job in mapping(data.get("jobs")).items():
        job = mapping(job)
        uses_here = [text_or_none(mapping(step).get("uses")) for step in listing(job.get("steps"))]
        if text_or_none(job.get("uses")):
            uses_here.append(text_or_none(job.get("uses")))  # a reusable workflow call
        for uses in uses_here:
            if uses:
                item = _split_uses(uses)
                if item not in actions:
                    actions.append(item)
        runs_on = job.get("runs-on")
        jobs.append({
            "id": str(job_id),
            "name": text_or_none(job.get("name")),
            "runs_on": [str(r) for r in runs_on] if isinstance(runs_on, list) else text_or_none(runs_on),
        })
    return {
        "name": text_or_none(data.get("name")),
        "triggers": sorted(str(t) for t in (triggers if isinstance(triggers, (list, dict)) else [])),
        "jobs": jobs,
        "actions": actions,
    }


def gitlab_ci(text: str) -> dict[str, Any]:
    data = _load_mapping(text, ".gitlab-ci.yml")
    images = set()
    top_image = data.get("image")
    jobs = []
    for key, job in data.items():
        if not isinstance(key, str) or key in _GITLAB_RESERVED or key.startswith(".") or not isinstance(job, dict):
            continue
        image = job.get("image", top_image)
        image = text_or_none(mapping(image).get("name")) if isinstance(image, dict) else text_or_none(image)
        if image:
            images.add(image)
        jobs.append({"id": key, "stage": text_or_none(job.get("stage")) or "test"})
    return {"stages": [str(s) for s in listing(data.get("stages"))], "jobs": jobs, "images": sorted(images)}


def circleci(text: str) -> dict[str, Any]:
    data = _load_mapping(text, "CircleCI config")
    images = set()
    jobs = []
    for name, job in mapping(data.get("jobs")).items():
        for executor in listing(mapping(job).get("docker")):
            image = text_or_none(mapping(executor).get("image"))
            if image:
                images.add(image)
        jobs.append({"id": str(name)})
    orbs = [{"name": str(k), **_split_uses(str(v))} for k, v in mapping(data.get("orbs")).items() if isinstance(v, str)]
    return {"jobs": jobs, "workflows": sorted(str(w) for w in mapping(data.get("workflows")) if w != "version"), "orbs": orbs, "images": sorted(images)}


def jenkinsfile(text: str) -> dict[str, Any]:
    """Stages and agent images of a Jenkinsfile (Groovy; read, never run)."""
    stages = list(dict.fromkeys(_JENKINS_STAGE.findall(text)))
    images = sorted(set(_JENKINS_IMAGE.findall(text))) if _JENKINS_AGENT.search(text) else []
    return {"jobs": [{"id": s} for s in stages], "images": images, "declarative": "pipeline" in text and "stages" in text}


def azure_pipelines(text: str) -> dict[str, Any]:
    data = _load_mapping(text, "Azure Pipelines file")
    jobs = []
    tasks: list[dict[str, str | None]] = []

    def visit_job(job: dict[str, Any], stage: str | None) -> None:
        name = text_or_none(job.get("job")) or text_or_none(job.get("deployment")) or text_or_none(job.get("template"))
        if name:
            jobs.append({"id": name, "stage": stage})
        for step in listing(job.get("steps")):
            task = text_or_none(mapping(step).get("task"))
            if task:
                item = _split_uses(task)
                if item not in tasks:
                    tasks.append(item)

    for stage in listing(data.get("stages")):
        stage = mapping(stage)
        for job in listing(stage.get("jobs")):
            visit_job(mapping(job), text_or_none(stage.get("stage")))
    for job in listing(data.get("jobs")):
        visit_job(mapping(job), None)
    if data.get("steps"):
        visit_job({"job": "default", "steps": data.get("steps")}, None)
    pool = mapping(data.get("pool"))
    return {"jobs": jobs, "actions": tasks, "vm_image": text_or_none(pool.get("vmImage"))}


def detected_only(text: str) -> dict[str, Any]:
    """Systems recorded by presence only."""
    return {}


#: (system, file patterns, reader). Patterns follow :mod:`.patterns`.
CI_SYSTEMS: list[tuple[str, tuple[str, ...], Callable[[str], dict[str, Any]]]] = [
    ("github-actions", (".github/workflows/*.yml", ".github/workflows/*.yaml"), github_actions),
    ("gitlab-ci", (".gitlab-ci.yml",), gitlab_ci),
    ("circleci", (".circleci/config.yml", ".circleci/config.yaml"), circleci),
    ("jenkins", ("Jenkinsfile",), jenkinsfile),
    ("azure-pipelines", ("azure-pipelines.yml", "azure-pipelines.yaml", ".azure-pipelines/*.yml", ".azure-pipelines/*.yaml"), azure_pipelines),
    ("travis-ci", (".travis.yml",), detected_only),
    ("bitbucket-pipelines", ("bitbucket-pipelines.yml",), detected_only),
    ("drone", (".drone.yml",), detected_only),
]
