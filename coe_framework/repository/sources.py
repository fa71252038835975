"""Repository sources: validation, mirror clones, fetches, ref resolution.

A source is a local path (the CLI, or a directory the operator lets the server
read) or a remote URL (https; ssh only when enabled). Remote repositories are
mirrored once into a workspace and fetched on later runs. Everything a client
names is hostile until proven otherwise: transports other than https/ssh,
option-looking URLs and refs, loopback, private and link-local hosts are
refused, and credentials in a URL are used for the transfer but never stored
or logged.
"""
from __future__ import annotations

import base64
import dataclasses
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlsplit, urlunsplit

from .addresses import AddressRefused, check_addresses, literal_address, resolve
from .child_limits import kill_group
from ..errors import BadInput
from .gitutil import GitError, first_error_line, git_environment, git_process_options, run_git
from .tree_guard import TreeTooLarge, check_tree

SCP_LIKE = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/\\].*)$")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: The longest repository URL accepted (CLI and API alike); real ones are far shorter.
MAX_URL_LENGTH = 2048
#: The longest local path accepted (PATH_MAX on Linux).
MAX_PATH_LENGTH = 4096


class SourceError(BadInput, ValueError):
    """A repository source was refused or could not be prepared (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass(frozen=True)
class SourcePolicy:
    """What a caller may name as a repository.

    The CLI allows any local path; the server allows only paths below
    ``allowed_dirs`` (empty: none). Private hosts stay refused unless an
    operator sets ``allow_private_hosts`` for an internal Git server.
    """

    allow_local: bool = True
    allowed_dirs: tuple[Path, ...] = ()
    allow_ssh: bool = False
    allow_private_hosts: bool = False
    resolve_hosts: bool = True

    @classmethod
    def for_server(cls, env: dict[str, str] | None = None) -> "SourcePolicy":
        """The policy of the web app and workers, from ``COE_ALLOWED_DIRS`` etc."""
        if env is None:
            from ..settings import environ

            env = environ()
        env = dict(env)
        dirs = tuple(Path(d).resolve() for d in env.get("COE_ALLOWED_DIRS", "").split(os.pathsep) if d.strip())
        truthy = lambda k: env.get(k, "").strip().lower() in {"1", "true", "yes", "on"}  # noqa: E731
        return cls(
            allow_local=bool(dirs),
            allowed_dirs=dirs,
            allow_ssh=truthy("COE_ALLOW_SSH"),
            allow_private_hosts=truthy("COE_ALLOW_PRIVATE_HOSTS"),
        )


@dataclass(frozen=True)
class RepositorySource:
    """A validated source. ``url`` is credential-free and is the repository's identity."""

    kind: str  # local | remote
    url: str
    name: str
    path: Path | None = None
    auth_header: str | None = field(default=None, repr=False, compare=False)
    #: ``host:port:address,...`` for git's ``http.curloptResolve``: the addresses checked.
    resolve_pin: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class PreparedRepository:
    """A source ready to analyse: a git directory and a pinned commit."""

    source: RepositorySource
    git_dir: Path
    ref: str
    commit: str
    default_branch: str | None
    commit_date: str
    author: str
    message: str


def redact_url(url: str) -> str:
    """The URL without user info, for storage and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _repo_name(text: str) -> str:
    base = text.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if base.endswith(".git"):
        base = base[:-4]
    return SAFE_NAME.sub("-", base).strip("-.") or "repository"


def _check_host(host: str, policy: SourcePolicy) -> tuple[str, ...]:
    """Check ``host`` against the address policy; the addresses it was checked at.

    Names are resolved once here (unless the policy says not to); the caller
    pins git to the returned addresses, so what was checked is what git
    connects to. ``COE_ALLOW_PRIVATE_HOSTS`` skips the check, not the pin.
    """
    if not host:
        raise SourceError("repository URL has no host")
    lowered = host.lower().rstrip(".")
    if not policy.allow_private_hosts and (lowered == "localhost" or lowered.endswith(".localhost")):
        raise SourceError(f"repository host '{host}' is a loopback address and is not allowed")
    literal = literal_address(lowered)
    if literal is not None:
        addresses = [literal]
    elif policy.resolve_hosts:
        try:
            addresses = resolve(lowered)
        except (OSError, UnicodeError, ValueError):
            if policy.allow_private_hosts:
                return ()  # an internal name the operator vouches for; git reports what it finds
            raise SourceError(f"repository host '{host}' cannot be resolved") from None
    else:
        addresses = []
    if not policy.allow_private_hosts:
        try:
            check_addresses(host, addresses)
        except AddressRefused as exc:
            raise SourceError(str(exc)) from None
    return tuple(str(ip) for ip in addresses) if literal is None else ()


def _pin(host: str, port: int, addresses: Sequence[str]) -> str | None:
    """A curl ``--resolve`` entry that makes git connect only to ``addresses``."""
    if not addresses:
        return None
    shown = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
    return f"{host}:{port}:{shown}"


def parse_source(target: str, policy: SourcePolicy = SourcePolicy(), *, name: str | None = None) -> RepositorySource:
    """Validate what a user named and return a :class:`RepositorySource`.

    Raises :class:`SourceError` with the reason in one line.
    """
    if not isinstance(target, str) or not target.strip():
        raise SourceError("repository source is empty")
    if len(target) > MAX_PATH_LENGTH:
        raise SourceError(f"repository source is longer than {MAX_PATH_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in target):
        raise SourceError("repository source contains control characters")
    target = target.strip()
    if target.startswith("-"):
        raise SourceError(f"repository source '{target}' looks like a command-line option")
    if "::" in target.split("/", 1)[0] or target.lower().startswith("ext::"):
        raise SourceError("repository source uses a git remote helper transport ('<helper>::'), which is not allowed")
    lowered = target.lower()
    scp = SCP_LIKE.match(target)
    if ("://" in target or scp) and len(target) > MAX_URL_LENGTH:
        raise SourceError(f"repository URL is longer than {MAX_URL_LENGTH} characters")
    if "://" in target:
        parts = urlsplit(target)
        scheme = parts.scheme.lower()
        if scheme == "ssh":
            if not policy.allow_ssh:
                raise SourceError("ssh repository URLs are not enabled on this server (only https)")
        elif scheme != "https":
            raise SourceError(f"repository URL scheme '{scheme}' is not allowed (only https" + (" and ssh)" if policy.allow_ssh else ")"))
        try:
            host = parts.hostname or ""
            _ = parts.port
        except ValueError:
            raise SourceError("repository URL has an invalid port") from None
        if host.startswith("-") or parts.path.startswith("/-"):
            raise SourceError("repository URL looks like a command-line option")
        addresses = _check_host(host, policy)
        pin = _pin(host, parts.port or 443, addresses) if scheme == "https" else None
        auth = None
        if parts.username is not None or parts.password is not None:
            raw = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
            auth = "Authorization: Basic " + base64.b64encode(raw.encode()).decode()
        clean = redact_url(target)
        return RepositorySource("remote", clean, name or _repo_name(parts.path), auth_header=auth, resolve_pin=pin)
    if scp and not lowered.startswith(("/", ".", "~")):
        if not policy.allow_ssh:
            raise SourceError("ssh repository URLs are not enabled on this server (only https)")
        host = scp.group("host")
        if host.startswith("-"):
            raise SourceError("repository URL looks like a command-line option")
        _check_host(host, policy)
        return RepositorySource("remote", target, name or _repo_name(scp.group("path")))
    # A local path.
    if not policy.allow_local:
        raise SourceError("local paths are not allowed as repository sources on this server")
    path = Path(target).expanduser()
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError):
        raise SourceError(f"path '{target}' does not exist") from None
    if policy.allowed_dirs and not any(resolved == d or d in resolved.parents for d in policy.allowed_dirs):
        raise SourceError(f"path '{target}' is outside the directories this server may read")
    if not resolved.is_dir():
        raise SourceError(f"path '{target}' is not a directory")
    return RepositorySource("local", str(resolved), name or _repo_name(str(resolved)), path=resolved)


def stored_source(url: str, name: str | None = None) -> RepositorySource:
    """The :class:`RepositorySource` a stored request names: its canonical ``url`` (what
    :func:`parse_source` made of the user's text) read back without parsing it again.

    Call :func:`admit` before touching the repository: it applies the policy of
    the process that does.
    """
    if "://" in url or SCP_LIKE.match(url):
        return RepositorySource("remote", url, name or _repo_name(urlsplit(url).path if "://" in url else url))
    return RepositorySource("local", url, name or _repo_name(url), path=Path(url))


def admit(source: RepositorySource, policy: SourcePolicy) -> RepositorySource:
    """``source`` checked against ``policy`` where it will be read, with git pinned to the
    host addresses checked now (a name may resolve elsewhere than when it was submitted).

    Raises :class:`SourceError` with the reason in one line.
    """
    if source.kind == "local":
        if not policy.allow_local:
            raise SourceError("local paths are not allowed as repository sources on this server")
        try:
            resolved = (source.path or Path(source.url)).resolve(strict=True)
        except (FileNotFoundError, RuntimeError, OSError):
            raise SourceError(f"path '{source.url}' does not exist") from None
        if policy.allowed_dirs and not any(resolved == d or d in resolved.parents for d in policy.allowed_dirs):
            raise SourceError(f"path '{source.url}' is outside the directories this server may read")
        if not resolved.is_dir():
            raise SourceError(f"path '{source.url}' is not a directory")
        return source
    if "://" not in source.url:  # scp-like ssh
        scp = SCP_LIKE.match(source.url)
        if not policy.allow_ssh:
            raise SourceError("ssh repository URLs are not enabled on this server (only https)")
        _check_host(scp.group("host") if scp else "", policy)
        return source
    parts = urlsplit(source.url)
    scheme = parts.scheme.lower()
    if scheme == "ssh" and not policy.allow_ssh:
        raise SourceError("ssh repository URLs are not enabled on this server (only https)")
    if scheme not in ("https", "ssh"):
        raise SourceError(f"repository URL scheme '{scheme}' is not allowed (only https" + (" and ssh)" if policy.allow_ssh else ")"))
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise SourceError("repository URL has an invalid port") from None
    addresses = _check_host(host, policy)
    pin = _pin(host, port or 443, addresses) if scheme == "https" else None
    return dataclasses.replace(source, resolve_pin=pin)


def _git_dir_of(path: Path) -> Path:
    proc = run_git(["rev-parse", "--absolute-git-dir"], cwd=path, check=False, timeout=30)
    if proc.returncode != 0:
        raise SourceError(f"'{path}' is not a Git repository")
    git_dir = Path(proc.stdout.decode("utf-8", "surrogateescape").strip())
    # A path inside some other repository's work tree is not a repository of its own.
    top = run_git(["rev-parse", "--show-toplevel"], cwd=path, check=False, timeout=30)
    if top.returncode == 0 and Path(top.stdout.decode("utf-8", "surrogateescape").strip()).resolve() != path.resolve():
        raise SourceError(f"'{path}' is not the top of a Git repository")
    return git_dir


def resolve_ref(git_dir: Path, ref: str | None) -> tuple[str, str]:
    """``(ref, commit SHA)`` for ``ref`` (default: HEAD); one-line errors."""
    ref = (ref or "HEAD").strip()
    if not ref or ref.startswith("-") or any(ch in ref for ch in "\0\n\r "):
        raise SourceError(f"invalid ref '{ref}'")
    has_commits = run_git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=git_dir, check=False, timeout=30)
    if has_commits.returncode != 0:
        any_ref = run_git(["for-each-ref", "--count=1", "--format=%(refname)", "refs/heads", "refs/tags"], cwd=git_dir, timeout=30)
        if not any_ref.stdout.strip():
            raise SourceError("repository is empty (it has no commits)")
    proc = run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], cwd=git_dir, check=False, timeout=30)
    if proc.returncode != 0:
        raise SourceError(f"unknown ref '{ref}'")
    return ref, proc.stdout.decode().strip()


def _default_branch(git_dir: Path) -> str | None:
    proc = run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=git_dir, check=False, timeout=30)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def _commit_info(git_dir: Path, commit: str) -> tuple[str, str, str]:
    # ``log -1`` reads the commit object only; ``show -s`` would walk its tree.
    out = run_git(["log", "-1", "--no-walk", "--no-show-signature", "--format=%cI%x00%aN <%aE>%x00%s", commit, "--"], cwd=git_dir, timeout=30).stdout
    date, author, subject = (out.decode("utf-8", "replace").rstrip("\n").split("\0") + ["", "", ""])[:3]
    return date, author, subject


def prepare(
    source: RepositorySource,
    ref: str | None = None,
    *,
    workspace: Path | None = None,
    timeout: float = 600.0,
    max_bytes: int = 2 * 1024**3,
    fetch: bool = True,
) -> PreparedRepository:
    """Make ``source`` analysable: mirror or fetch a remote, resolve the ref."""
    if source.kind == "local":
        assert source.path is not None
        git_dir = _git_dir_of(source.path)
    else:
        git_dir = mirror(source, workspace or default_workspace(), timeout=timeout, max_bytes=max_bytes, fetch=fetch)
    ref_name, commit = resolve_ref(git_dir, ref)
    try:
        check_tree(git_dir, commit)
    except TreeTooLarge as exc:
        raise SourceError(str(exc)) from None
    date, author, message = _commit_info(git_dir, commit)
    return PreparedRepository(source, git_dir, ref_name, commit, _default_branch(git_dir), date, author, message)


def pin_commit(prepared: PreparedRepository, commit: str) -> PreparedRepository:
    """``prepared`` at another commit of the same repository (same ref name), checked like
    :func:`prepare` checks one: the commit must exist and its tree pass the guard."""
    proc = run_git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{commit}^{{commit}}"], cwd=prepared.git_dir, check=False, timeout=30)
    if proc.returncode != 0:
        raise SourceError(f"unknown commit '{commit}'")
    sha = proc.stdout.decode().strip()
    try:
        check_tree(prepared.git_dir, sha)
    except TreeTooLarge as exc:
        raise SourceError(str(exc)) from None
    date, author, message = _commit_info(prepared.git_dir, sha)
    return dataclasses.replace(prepared, commit=sha, commit_date=date, author=author, message=message)


def default_workspace() -> Path:
    """Where mirrors live: ``COE_WORKSPACE`` or the user's cache directory."""
    from ..settings import environ

    configured = environ().get("COE_WORKSPACE")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("coe")) / "mirrors"


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _run_capped(args: Sequence[str], cwd: Path | None, env: dict[str, str], watch: Path, timeout: float, max_bytes: int) -> None:
    """Run git while watching the size of ``watch``; kill it past either cap."""
    proc = subprocess.Popen(
        ["git", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        **git_process_options(),
    )
    stderr_chunks: list[bytes] = []
    drain = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read() if proc.stderr else b""), daemon=True)
    drain.start()
    deadline = time.monotonic() + timeout
    reason = None
    while proc.poll() is None:
        time.sleep(0.2)
        if time.monotonic() > deadline:
            reason = f"timed out after {timeout:.0f}s"
        elif watch.exists() and _dir_size(watch) > max_bytes:
            reason = f"repository is larger than the {max_bytes // (1024 * 1024)} MiB limit"
        if reason:
            kill_group(proc.pid)
            proc.wait()
            break
    drain.join(5)
    if reason:
        raise SourceError(f"git {args[0]} {reason}")
    if proc.returncode != 0:
        line = first_error_line(b"".join(stderr_chunks))
        raise SourceError(f"git {args[0]} failed: {line or 'exit code ' + str(proc.returncode)}")


def mirror_path(source: RepositorySource, workspace: Path) -> Path:
    """Where :func:`mirror` keeps ``source``'s mirror (it may not exist yet)."""
    digest = hashlib.sha256(source.url.encode()).hexdigest()[:16]
    return workspace / f"{source.name}-{digest}.git"


def remote_environment(source: RepositorySource) -> dict[str, str]:
    """The environment of every git transfer from the remote ``source`` (clone, fetch, ls-remote).

    Credentials travel as a header, the checked addresses are pinned, only
    https (and ssh when the URL is ssh) may be spoken, and ssh never prompts.
    """
    extra = [("http.extraHeader", source.auth_header)] if source.auth_header else []
    if source.resolve_pin:  # git must not resolve the name again (DNS rebinding)
        extra.append(("http.curloptResolve", source.resolve_pin))
    from ..settings import environ

    ca_bundle = environ().get("COE_GIT_CA_BUNDLE")
    if ca_bundle:  # an internal Git server signed by a private certificate authority
        extra.append(("http.sslCAInfo", ca_bundle))
    if source.url.startswith("ssh://") or SCP_LIKE.match(source.url):
        extra.append(("protocol.ssh.allow", "always"))
    env = git_environment(extra)
    env["GIT_ALLOW_PROTOCOL"] = "https:ssh" if any(k == "protocol.ssh.allow" for k, _ in extra) else "https"
    env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes"
    return env


def mirror(source: RepositorySource, workspace: Path, *, timeout: float = 600.0, max_bytes: int = 2 * 1024**3, fetch: bool = True) -> Path:
    """Clone ``source`` as a mirror once; later calls fetch into it.

    A lock file keeps two processes from cloning the same mirror at once, and
    a clone is built in a temporary directory and renamed into place, so an
    interrupted clone never leaves a half-written mirror behind.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    target = mirror_path(source, workspace)
    digest = hashlib.sha256(source.url.encode()).hexdigest()[:16]  # the lock file's name
    env = remote_environment(source)
    with open(workspace / f".{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            if fetch:
                _run_capped(["fetch", "--prune", "--no-recurse-submodules", "--quiet", "origin"], target, env, target, timeout, max_bytes)
            return target
        tmp = Path(tempfile.mkdtemp(prefix=".clone-", dir=workspace))
        try:
            _run_capped(
                ["clone", "--mirror", "--quiet", "--no-recurse-submodules", "--", source.url, str(tmp / "repo.git")],
                None, env, tmp, timeout, max_bytes,
            )
            os.replace(tmp / "repo.git", target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def open_repository(
    target: str,
    ref: str | None = None,
    *,
    policy: SourcePolicy = SourcePolicy(),
    name: str | None = None,
    workspace: Path | None = None,
) -> PreparedRepository:
    """Validate, fetch and pin in one call: what the CLI and workers use."""
    try:
        return prepare(parse_source(target, policy, name=name), ref, workspace=workspace)
    except GitError as exc:
        raise SourceError(str(exc)) from None

