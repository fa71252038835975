"""Python manifests: requirements files, pyproject (PEP 621, PEP 735, Poetry,
PDM, uv), setup.cfg, setup.py (read, never run), Pipfile, and the poetry, uv,
pdm and Pipfile lock files."""
from __future__ import annotations

import ast
import configparser
import os
import posixpath
import re
import tempfile
from typing import Any, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from pip_requirements_parser import RequirementsFile

from ..models import Dependency, Finding, LockFacts, ManifestFacts, Runtime, normalize_name, pinned_version, scope_from_label
from ..safeload import ManifestError, load_json, load_toml
from .base import (
    ManifestParser, ManifestSource, deps_from_mapping, listing, mapping, named_packages, new_lock_facts, project_directory, text_or_none,
)

ECOSYSTEM = "pypi"
#: How deep ``-r``/``-c`` includes are followed.
MAX_INCLUDE_DEPTH = 8


# --- PEP 508 strings ---------------------------------------------------------


def pep508(text: str, *, manifest: str, scope: str, facts: ManifestFacts) -> Dependency | None:
    """One PEP 508 requirement string as a dependency; a bad one becomes a finding."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        facts.findings.append(Finding(manifest, "malformed", f"invalid requirement {text!r}: {' '.join(str(exc).split())[:200]}"))
        return None
    constraint = req.url or (str(req.specifier) or None)
    return Dependency(ECOSYSTEM, req.name, constraint=constraint, scope=scope, manifest=manifest)


def pep508_list(items: Any, *, manifest: str, scope: str, facts: ManifestFacts) -> list[Dependency]:
    found = []
    for item in listing(items):
        if isinstance(item, str):
            dep = pep508(item, manifest=manifest, scope=scope, facts=facts)
            if dep is not None:
                found.append(dep)
    return found


def _license_value(value: Any) -> str | None:
    if isinstance(value, dict):
        return text_or_none(value.get("text"))
    return text_or_none(value)


# --- requirements files ------------------------------------------------------


def _parse_requirements_text(text: str) -> RequirementsFile:
    """pip-requirements-parser over text, nested files off.

    The library reads from a file name, so the text goes to a private
    temporary file; includes are followed by :func:`parse_requirements`
    itself, from the repository's own blobs only.
    """
    with tempfile.TemporaryDirectory(prefix="coe-techspec-") as tmp:
        name = os.path.join(tmp, "requirements.txt")
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)
        return RequirementsFile.from_file(name, include_nested=False)


def _local_reference(url: str) -> str | None:
    """The path of a local requirement (``./pkg``, ``.``, ``file:../x``); None for a remote one."""
    if url.startswith("file://"):
        return None  # an absolute path on someone's machine
    if url.startswith("file:"):
        url = url[len("file:"):]
    if "://" in url or url.startswith(("git+", "hg+", "svn+", "bzr+")) or not url:
        return None
    return url


def _project_name(src: ManifestSource, folder: str) -> str | None:
    """The distribution name a local project folder declares (pyproject, setup.cfg)."""
    prefix = f"{folder}/" if folder else ""
    text = src.repo.read_text(prefix + "pyproject.toml")
    if text is not None:
        try:
            data = load_toml(text)
        except ManifestError:
            data = {}
        name = text_or_none(mapping(data.get("project")).get("name")) or text_or_none(mapping(mapping(data.get("tool")).get("poetry")).get("name"))
        if name:
            return name
    text = src.repo.read_text(prefix + "setup.cfg")
    if text is not None:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            return None
        if parser.has_section("metadata"):
            return text_or_none(parser["metadata"].get("name"))
    return None


def _path_dependency(src: ManifestSource, path: str, req: Any, scope: str) -> Dependency | None:
    """``-e ./localpkg``, ``-e .[socks]``, ``file:../x``: a dependency on a
    local project, kept with its path (``path:./localpkg``) and named by the
    project's own metadata when the repository holds it, else by its folder."""
    reference = _local_reference(str(req.link.url)) if req.link is not None else None
    if reference is None:
        return None
    folder = project_directory(path, reference)
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), reference))
    name = (_project_name(src, folder) if folder is not None else None) or posixpath.basename(resolved).strip(".") or reference
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return Dependency(ECOSYSTEM, name, constraint=f"path:{reference}{extras}", scope=scope, manifest=path)


def parse_requirements(src: ManifestSource) -> ManifestFacts:
    """A requirements file with its ``-r`` includes and ``-c`` constraints.

    Each dependency is attributed to the file whose line declares it, with the
    scope that file's name implies; exact pins in constraint files fill in the
    locked version of matching dependencies.
    """
    facts = ManifestFacts()
    pins: dict[str, str] = {}
    seen: set[str] = set()
    found: dict[tuple[str, str], Dependency] = {}

    def walk(path: str, text: str, constraints_only: bool, depth: int) -> None:
        seen.add(path)
        scope = scope_from_label(path)
        try:
            parsed = _parse_requirements_text(text)
        except Exception as exc:  # noqa: BLE001 - the library may raise anything on hostile text
            raise ManifestError(f"unreadable requirements file: {' '.join(str(exc).split())[:200]}") from None
        for bad in parsed.invalid_lines:
            facts.findings.append(Finding(path, "malformed", f"line {bad.line_number}: {' '.join(str(bad.error_message).split())[:200]}"))
        for req in parsed.requirements:
            if not req.name:
                local = _path_dependency(src, path, req, scope)
                if local is not None:
                    found.setdefault((path, local.key), local)
                else:
                    facts.findings.append(Finding(path, "skipped", f"line {req.line_number}: requirement without a name ({req.line.strip()[:100]})"))
                continue
            if req.link is not None:
                constraint = req.link.url
            else:
                constraint = str(req.specifier) if req.specifier else None
            if constraints_only:
                version = pinned_version(ECOSYSTEM, constraint)
                if version:
                    pins[normalize_name(ECOSYSTEM, req.name)] = version
                continue
            dep = Dependency(ECOSYSTEM, req.name, constraint=constraint, scope=scope, manifest=path)
            found.setdefault((path, dep.key), dep)
        for option in parsed.options:
            for key, as_constraints in (("requirements", False), ("constraints", True)):
                for ref in option.options.get(key) or ():
                    follow(path, ref, as_constraints or constraints_only, depth)

    def follow(path: str, ref: str, constraints_only: bool, depth: int) -> None:
        target = src.repo.resolve(path, ref)
        if target is None:
            facts.findings.append(Finding(path, "unresolved", f"include {ref!r} is outside the repository or remote; not followed"))
            return
        if target in seen:
            return
        if depth >= MAX_INCLUDE_DEPTH:
            facts.findings.append(Finding(path, "unresolved", f"include {ref!r} is nested deeper than {MAX_INCLUDE_DEPTH}; not followed"))
            return
        text = src.repo.read_text(target)
        if text is None:
            facts.findings.append(Finding(path, "unresolved", f"include {ref!r} not found in the repository"))
            return
        facts.included.append(target)
        walk(target, text, constraints_only, depth + 1)

    walk(src.path, src.text, False, 0)
    for dep in found.values():
        if dep.version is None and dep.key in pins:
            dep.version = pins[dep.key]
        facts.dependencies.append(dep)
    return facts


# --- pyproject.toml ----------------------------------------------------------


def _poetry_table(table: Any, manifest: str, scope: str, facts: ManifestFacts) -> list[Dependency]:
    deps = deps_from_mapping(table, ecosystem=ECOSYSTEM, manifest=manifest, scope=scope, skip=("python",))
    for dep in deps:
        spec = mapping(table).get(dep.name)
        if isinstance(spec, dict) and spec.get("optional") is True and scope == "runtime":
            dep.scope = "optional"
    python = text_or_none(mapping(table).get("python"))
    if python:
        facts.runtimes.append(Runtime("python", python, manifest))
    return deps


def parse_pyproject(src: ManifestSource) -> ManifestFacts:
    """PEP 621 ``[project]``, PEP 735 ``[dependency-groups]``, build requirements,
    ``[tool.poetry]``, ``[tool.pdm]`` and ``[tool.uv]`` development groups."""
    data = load_toml(src.text)
    facts = ManifestFacts()
    path = src.path
    deps = facts.dependencies
    project = mapping(data.get("project"))
    deps += pep508_list(project.get("dependencies"), manifest=path, scope="runtime", facts=facts)
    for group, items in mapping(project.get("optional-dependencies")).items():
        deps += pep508_list(items, manifest=path, scope=scope_from_label(group, "optional"), facts=facts)
    for group, items in mapping(data.get("dependency-groups")).items():
        deps += pep508_list(items, manifest=path, scope=scope_from_label(group, "dev"), facts=facts)
    deps += pep508_list(mapping(data.get("build-system")).get("requires"), manifest=path, scope="build", facts=facts)
    if text_or_none(project.get("requires-python")):
        facts.runtimes.append(Runtime("python", str(project["requires-python"]).strip(), path))
    license_text = _license_value(project.get("license"))
    tool = mapping(data.get("tool"))
    poetry = mapping(tool.get("poetry"))
    if poetry:
        deps += _poetry_table(poetry.get("dependencies"), path, "runtime", facts)
        deps += _poetry_table(poetry.get("dev-dependencies"), path, "dev", facts)
        for group, body in mapping(poetry.get("group")).items():
            default = "runtime" if group == "main" else "dev"
            deps += _poetry_table(mapping(body).get("dependencies"), path, scope_from_label(group, default), facts)
        license_text = license_text or _license_value(poetry.get("license"))
    for group, items in mapping(mapping(tool.get("pdm")).get("dev-dependencies")).items():
        deps += pep508_list(items, manifest=path, scope=scope_from_label(group, "dev"), facts=facts)
    deps += pep508_list(mapping(tool.get("uv")).get("dev-dependencies"), manifest=path, scope="dev", facts=facts)
    if license_text:
        facts.licenses.append(license_text)
    return facts


# --- setup.cfg ----------------------------------------------------------------


def _cfg_lines(value: str) -> Iterable[str]:
    for line in value.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(("file:", "attr:")):
            yield line


def parse_setup_cfg(src: ManifestSource) -> ManifestFacts:
    """``[options]`` install, setup and tests requirements, extras, python_requires."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(src.text, source=src.path)
    except configparser.Error as exc:
        raise ManifestError(f"invalid setup.cfg: {' '.join(str(exc).split())[:200]}") from None
    facts = ManifestFacts()
    if parser.has_section("options"):
        options = parser["options"]
        for key, scope in (("install_requires", "runtime"), ("setup_requires", "build"), ("tests_require", "test")):
            facts.dependencies += pep508_list(list(_cfg_lines(options.get(key, ""))), manifest=src.path, scope=scope, facts=facts)
        if options.get("python_requires", "").strip():
            facts.runtimes.append(Runtime("python", options["python_requires"].strip(), src.path))
    if parser.has_section("options.extras_require"):
        for group, value in parser["options.extras_require"].items():
            facts.dependencies += pep508_list(list(_cfg_lines(value)), manifest=src.path, scope=scope_from_label(group, "optional"), facts=facts)
    if parser.has_section("metadata") and parser["metadata"].get("license", "").strip():
        facts.licenses.append(parser["metadata"]["license"].strip())
    return facts


# --- setup.py ------------------------------------------------------------------

#: ``setup()`` keywords read from setup.py, with the scope of what they list.
_SETUP_PY_LISTS = (("install_requires", "runtime"), ("setup_requires", "build"), ("tests_require", "test"))
_SETUP_NAMES = frozenset({"setup", "setuptools.setup", "distutils.core.setup"})


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


class _SetupPyReader:
    """Literal ``setup()`` arguments of a setup.py, and literal module-level names they use.

    setup.py is code, and repository contents are hostile: it is parsed,
    never run. A keyword whose value is computed (read from a file, built in
    a loop) is reported as a finding instead of guessed.
    """

    def __init__(self, src: ManifestSource, facts: ManifestFacts):
        self.src = src
        self.facts = facts
        self.names: dict[str, ast.expr] = {}

    def value(self, keyword: str, node: ast.expr) -> Any:
        if isinstance(node, ast.Name) and node.id in self.names:
            node = self.names[node.id]
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            self.facts.findings.append(self.src.finding("skipped", f"setup({keyword}=...) is computed when setup.py runs; it is not read"))
            return None

    def find_setup(self, tree: ast.Module) -> ast.Call | None:
        """The first ``setup()`` call, remembering the module-level names assigned before it."""
        for statement in tree.body:
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and _dotted(node.func) in _SETUP_NAMES:
                    if any(kw.arg is None for kw in node.keywords):
                        self.facts.findings.append(self.src.finding("skipped", "setup(**...) arguments are computed when setup.py runs; they are not read"))
                    return node
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
                self.names[statement.targets[0].id] = statement.value
        return None


def _requirement_lines(value: Any) -> list[str]:
    """install_requires and friends: a list of strings, or one string of lines."""
    if isinstance(value, str):
        return [line.split("#", 1)[0].strip() for line in value.splitlines() if line.split("#", 1)[0].strip()]
    return [item for item in listing(value) if isinstance(item, str)]


def parse_setup_py(src: ManifestSource) -> ManifestFacts:
    """Requirements, extras, python_requires and license from the literal arguments of ``setup()``."""
    try:
        tree = ast.parse(src.text, filename=src.path)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise ManifestError(f"setup.py is not valid Python: {' '.join(str(exc).split())[:200]}") from None
    facts = ManifestFacts()
    reader = _SetupPyReader(src, facts)
    call = reader.find_setup(tree)
    if call is None:
        return facts
    keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg}
    for keyword, scope in _SETUP_PY_LISTS:
        if keyword in keywords:
            lines = _requirement_lines(reader.value(keyword, keywords[keyword]))
            facts.dependencies += pep508_list(lines, manifest=src.path, scope=scope, facts=facts)
    if "extras_require" in keywords:
        for group, value in mapping(reader.value("extras_require", keywords["extras_require"])).items():
            if isinstance(group, str):
                lines = _requirement_lines(value)
                facts.dependencies += pep508_list(lines, manifest=src.path, scope=scope_from_label(group, "optional"), facts=facts)
    for keyword in ("python_requires", "license"):
        if keyword in keywords:
            text = text_or_none(reader.value(keyword, keywords[keyword]))
            if text and keyword == "python_requires":
                facts.runtimes.append(Runtime("python", text, src.path))
            elif text:
                facts.licenses.append(text)
    return facts


# --- Pipfile ------------------------------------------------------------------


def parse_pipfile(src: ManifestSource) -> ManifestFacts:
    """``[packages]``, ``[dev-packages]``, other categories and ``[requires]``."""
    data = load_toml(src.text)
    facts = ManifestFacts()
    for section, body in data.items():
        if section == "packages":
            scope = "runtime"
        elif section == "dev-packages":
            scope = "dev"
        elif section in ("source", "requires", "scripts", "pipenv") or not isinstance(body, dict):
            continue
        else:
            scope = scope_from_label(section, "optional")
        facts.dependencies += deps_from_mapping(body, ecosystem=ECOSYSTEM, manifest=src.path, scope=scope)
    requires = mapping(data.get("requires"))
    python = text_or_none(requires.get("python_full_version")) or text_or_none(requires.get("python_version"))
    if python:
        facts.runtimes.append(Runtime("python", python, src.path))
    return facts


# --- lock files -----------------------------------------------------------------


def _lock_scope(groups: Any) -> str:
    names = [groups] if isinstance(groups, str) else [g for g in listing(groups) if isinstance(g, str)]
    if not names or any(g in ("main", "default") for g in names):
        return "runtime"
    return scope_from_label(" ".join(names), "dev")


#: A requirement's name and extras at the start of a PEP 508 string or of
#: poetry's ``name[extra] (>=1.0)``.
_REQUIREMENT_HEAD = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _nodes(name: str, extras: Iterable[Any] = ()) -> list[str]:
    """Graph nodes for "needs ``name`` with ``extras``"."""
    key = normalize_name(ECOSYSTEM, name)
    return [key, *(f"{key}[{normalize_name(ECOSYSTEM, e)}]" for e in extras if isinstance(e, str) and e.strip())]


def _requirement_nodes(text: Any) -> list[str]:
    match = _REQUIREMENT_HEAD.match(text) if isinstance(text, str) else None
    if not match:
        return []
    return _nodes(match.group(1), (match.group(2) or "").split(","))


def _entry_nodes(entries: Any) -> list[str]:
    """Nodes of uv's ``[{name = ..., extra = [...]}, ...]`` lists."""
    found = []
    for entry in listing(entries):
        entry = mapping(entry)
        if text_or_none(entry.get("name")):
            found += _nodes(str(entry["name"]), listing(entry.get("extra")))
    return found


def _lock_entry(src: ManifestSource, name: str, package: dict[str, Any], groups: Any) -> Dependency:
    return Dependency(
        ECOSYSTEM, name, version=text_or_none(package.get("version")), scope=_lock_scope(groups),
        manifest=src.path, direct=False,
    )


def _add_project(info: LockFacts, src: ManifestSource, reference: Any) -> bool:
    folder = project_directory(src.path, reference) if isinstance(reference, str) else None
    if folder is None:
        return False
    if folder not in info.projects:
        info.projects.append(folder)
    return True


def parse_uv_lock(src: ManifestSource) -> ManifestFacts:
    """uv.lock: packages, the workspace's projects (editable, virtual and
    directory sources), their own dependencies as roots, and the graph."""
    data = load_toml(src.text)
    facts, info = new_lock_facts()
    for name, package in named_packages(data):
        key = normalize_name(ECOSYSTEM, name)
        info.depends(key, _entry_nodes(package.get("dependencies")))
        for extra, entries in mapping(package.get("optional-dependencies")).items():
            info.depends(f"{key}[{normalize_name(ECOSYSTEM, str(extra))}]", _entry_nodes(entries))
        source = mapping(package.get("source"))
        reference = source.get("editable") or source.get("virtual") or source.get("directory")
        if _add_project(info, src, reference):
            # A project of the workspace: what it needs are roots, and it is no locked package.
            for node in _entry_nodes(package.get("dependencies")):
                info.roots.setdefault(node, "runtime")
            for extra, entries in mapping(package.get("optional-dependencies")).items():
                for node in _entry_nodes(entries):
                    info.roots.setdefault(node, scope_from_label(str(extra), "optional"))
            for group, entries in mapping(package.get("dev-dependencies")).items():
                for node in _entry_nodes(entries):
                    info.roots.setdefault(node, scope_from_label(str(group), "dev"))
            continue
        facts.dependencies.append(_lock_entry(src, name, package, None))
    return facts


def parse_poetry_lock(src: ManifestSource) -> ManifestFacts:
    """poetry.lock: packages (``category`` or ``groups``), path projects, and the graph."""
    data = load_toml(src.text)
    facts, info = new_lock_facts([src.directory])
    for name, package in named_packages(data):
        key = normalize_name(ECOSYSTEM, name)
        for dep_name, spec in mapping(package.get("dependencies")).items():
            specs = [mapping(item) for item in spec] if isinstance(spec, list) else [mapping(spec)]
            if all(item.get("optional") is True for item in specs):
                continue  # only reached through one of the package's extras
            extras = [e for item in specs for e in listing(item.get("extras"))]
            info.depends(key, _nodes(str(dep_name), extras))
        for extra, requirements in mapping(package.get("extras")).items():
            info.depends(f"{key}[{normalize_name(ECOSYSTEM, str(extra))}]", [n for r in listing(requirements) for n in _requirement_nodes(r)])
        source = mapping(package.get("source"))
        if source.get("type") == "directory":
            _add_project(info, src, source.get("url"))
        groups = package.get("category")
        facts.dependencies.append(_lock_entry(src, name, package, package.get("groups") if groups is None else groups))
    return facts


def parse_pdm_lock(src: ManifestSource) -> ManifestFacts:
    """pdm.lock: packages with the groups that need them, and the graph."""
    data = load_toml(src.text)
    facts, info = new_lock_facts([src.directory])
    for name, package in named_packages(data):
        if mapping(package.get("source")).get("editable") == ".":
            continue
        key = normalize_name(ECOSYSTEM, name)
        info.depends(key, [n for r in listing(package.get("dependencies")) for n in _requirement_nodes(r)])
        facts.dependencies.append(_lock_entry(src, name, package, package.get("groups")))
    return facts


def parse_pipfile_lock(src: ManifestSource) -> ManifestFacts:
    data = mapping(load_json(src.text))
    facts = ManifestFacts()
    for section, scope in (("default", "runtime"), ("develop", "dev")):
        for name, spec in mapping(data.get(section)).items():
            version = text_or_none(mapping(spec).get("version"))
            if version:
                version = version.lstrip("=")
            facts.dependencies.append(Dependency(ECOSYSTEM, name, version=version, scope=scope, manifest=src.path, direct=False))
    return facts


#: The manifests a project lock file reads.
_PROJECT_FILES = ("pyproject", "setup.cfg", "setup.py")

PARSERS = [
    ManifestParser("requirements", ECOSYSTEM, ("*requirements*.txt", "*requirements*.in", "*requirements/*.txt", "*requirements/*.in"), parse_requirements),
    ManifestParser("pyproject", ECOSYSTEM, ("pyproject.toml",), parse_pyproject),
    ManifestParser("setup.cfg", ECOSYSTEM, ("setup.cfg",), parse_setup_cfg),
    ManifestParser("setup.py", ECOSYSTEM, ("setup.py",), parse_setup_py),
    ManifestParser("pipfile", ECOSYSTEM, ("Pipfile",), parse_pipfile),
    ManifestParser("poetry.lock", ECOSYSTEM, ("poetry.lock",), parse_poetry_lock, lock=True, locks=("pyproject",)),
    ManifestParser("uv.lock", ECOSYSTEM, ("uv.lock",), parse_uv_lock, lock=True, locks=_PROJECT_FILES),
    ManifestParser("pdm.lock", ECOSYSTEM, ("pdm.lock",), parse_pdm_lock, lock=True, locks=_PROJECT_FILES),
    ManifestParser("pipfile.lock", ECOSYSTEM, ("Pipfile.lock",), parse_pipfile_lock, lock=True, locks=("pipfile",)),
]
