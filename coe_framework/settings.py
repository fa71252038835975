"""Every ``COE_*`` setting in one object, from the environment and a ``coe.toml``.

:data:`SETTINGS` lists each setting with its documented default; the
pydantic-settings model (:func:`settings_class`) has one field per setting (named
exactly as the variable) and reads, highest first:

1. the environment (``COE_DATABASE_URL=...``; a variable that is set wins even when empty,
   as ``COE_PLUGINS=`` means "built-ins only"),
2. the file named by ``COE_CONFIG``, else ``./coe.toml`` when it exists
   (``database_url = "..."``: the name without ``COE_``, lower case; the tables
   of :data:`OTHER_TABLES`, such as ``[gate]``, belong to their own readers),
3. the default, which each subsystem applies itself when a value is unset.

The subsystems keep their own parsing and validation (their messages name
the variable); they read :func:`environ`, the process environment with the
file's values filled in, instead of ``os.environ``. It is built when asked
(so a test that sets a variable is seen at once); the file is parsed again
only when it changes. :func:`explain` says where each value came from, for
``coe config show``.

A bad file is one :class:`ConfigFileError` line naming the file and line.
"""
from __future__ import annotations

import os
import re
import tomllib
from stat import S_ISREG
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from typing import TYPE_CHECKING

from .errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from pydantic_settings import BaseSettings

CONFIG_VARIABLE = "COE_CONFIG"
DEFAULT_CONFIG_FILE = "coe.toml"
#: A settings file is small; anything larger is refused.
MAX_CONFIG_BYTES = 1024 * 1024
#: Tables of ``coe.toml`` that other parts of CoE read (not settings): table -> its reader.
OTHER_TABLES = {"gate": "coe gate (docs/gates.md)"}


@dataclass(frozen=True)
class Setting:
    """One ``COE_*`` setting: its documented default, what it does, and whether its value is secret."""

    name: str
    default: str
    help: str
    secret: bool = False
    #: A list in the file is joined with this (None: a list is refused).
    separator: str | None = None

    @property
    def key(self) -> str:
        """The setting's name in ``coe.toml``."""
        return self.name.removeprefix("COE_").lower()


_S = Setting
#: Every setting the code reads. ``tests/test_settings_documented.py`` checks that this
#: list, the code and docs/deployment.md agree.
SETTINGS: tuple[Setting, ...] = (
    _S(CONFIG_VARIABLE, "./coe.toml", "the settings file (environment only)"),
    # where things live
    _S("COE_DATABASE_URL", "SQLite file in the user's data directory", "the database (sqlite, postgresql, mysql+pymysql)", secret=True),
    _S("COE_WORKSPACE", "user cache directory", "where repository mirrors are kept"),
    _S("COE_FLOWS_DIR", "user data directory/flows", "where LangFlow flow files are written"),
    _S("COE_REDIS_URL", "-", "Redis for the shared result cache and rate limits", secret=True),
    _S("COE_REDIS_TTL", "604800", "seconds an entry stays in the Redis cache (0: no expiry)"),
    _S("COE_CACHE_SIZE", "10000", "entries of the in-process read cache"),
    _S("COE_CACHE_TTL", "3600", "seconds an entry stays in the in-process read cache (0: no expiry)"),
    # database pool
    _S("COE_DB_POOL_SIZE", "10", "connections kept per process"),
    _S("COE_DB_MAX_OVERFLOW", "20", "connections opened beyond the pool under load"),
    _S("COE_DB_POOL_TIMEOUT", "30", "seconds to wait for a free connection"),
    _S("COE_DB_POOL_RECYCLE", "1800", "seconds after which a connection is replaced"),
    _S("COE_DB_POOL_PRE_PING", "on", "check a connection before each use"),
    _S("COE_DB_ECHO", "off", "log every SQL statement"),
    _S("COE_DB_BUSY_TIMEOUT_MS", "30000", "SQLite: milliseconds to wait for a lock"),
    # sources and git
    _S("COE_ALLOWED_DIRS", "-", "server: local directories that may be analyzed", separator=os.pathsep),
    _S("COE_ALLOW_SSH", "off", "server: accept ssh:// repository URLs"),
    _S("COE_ALLOW_PRIVATE_HOSTS", "off", "server: accept hosts with private addresses"),
    _S("COE_GIT_CA_BUNDLE", "-", "CA bundle for an internal Git server"),
    _S("COE_MAX_TREE_ENTRIES", "2000000", "refuse a commit whose tree expands past this many entries"),
    _S("COE_MAX_TREE_DEPTH", "200", "refuse a commit whose tree is deeper than this"),
    # child process caps
    _S("COE_CHILD_MEMORY_LIMIT", "4294967296", "bytes of address space per analyzer process (0: no cap)"),
    _S("COE_CHILD_CPU_SECONDS", "3600", "CPU seconds per analyzer process (0: no cap)"),
    _S("COE_FILE_CPU_SECONDS", "60", "CPU seconds per file worker batch (0: no cap)"),
    _S("COE_GIT_MEMORY_LIMIT", "3221225472", "bytes of address space per git process (0: no cap)"),
    _S("COE_GIT_CPU_SECONDS", "1800", "CPU seconds per git process (0: no cap)"),
    # plugins
    _S("COE_PLUGINS", "all", "comma-separated allowlist of third-party plugins", separator=","),
    _S("COE_DISABLE_PLUGINS", "-", "comma-separated plugins not to load (built-ins included)", separator=","),
    _S("COE_PLUGIN_MODULES", "-", "plugin module files to load", separator=os.pathsep),
    _S("COE_STRICT_PLUGINS", "off", "a plugin that fails to load stops the tool"),
    _S("COE_TRACE_PLUGINS", "off", "log every hook call"),
    _S("COE_DEBUG", "off", "show tracebacks of internal errors"),
    # jobs
    _S("COE_EXECUTOR", "threads", "inline, threads or celery"),
    _S("COE_BROKER_URL", "-", "Celery broker (redis://, amqp://)", secret=True),
    _S("COE_JOB_THREADS", "2", "jobs at a time per process (threads executor)"),
    _S("COE_JOB_LEASE_SECONDS", "60", "a worker silent this long is presumed dead"),
    _S("COE_JOB_HEARTBEAT_SECONDS", "lease / 3", "lease renewal interval"),
    _S("COE_JOB_REAP_SECONDS", "min(15, lease / 2)", "how often expired leases are looked for"),
    _S("COE_JOB_POLL_SECONDS", "2", "how often an idle worker checks the queue"),
    _S("COE_JOB_RESEND_SECONDS", "60", "Celery: when a queued request's lost message is sent again"),
    _S("COE_JOB_FILE_WORKERS", "1", "processes per job for file analyzers"),
    # watched repositories and webhooks
    _S("COE_WATCH_SCHEDULER", "on", "run the watch scheduler in coe serve and coe worker"),
    _S("COE_WATCH_TICK_SECONDS", "30", "seconds between scheduler passes"),
    _S("COE_WATCH_CONCURRENCY", "8", "git ls-remote checks at once"),
    _S("COE_WATCH_CHECK_TIMEOUT", "30", "seconds one ls-remote may take"),
    _S("COE_WATCH_MAX_BACKOFF_SECONDS", "86400", "longest wait after repeated failures"),
    _S("COE_WATCH_BATCH", "200", "watches checked per batch"),
    _S("COE_WEBHOOK_SECRET_KEY", "-", "Fernet key encrypting webhook secrets", secret=True),
    _S("COE_WEBHOOK_MAX_BYTES", "26214400", "largest webhook body accepted"),
    _S("COE_WEBHOOK_DELIVERY_RETENTION_DAYS", "30", "days delivery ids are kept for replay protection"),
    _S("COE_JOB_TIME_LIMIT", "1500", "Celery hard time limit per job, seconds"),
    _S("COE_JOB_SOFT_TIME_LIMIT", "time limit - 60", "Celery soft time limit per job, seconds"),
    _S("COE_JOB_QUEUE", "coe.analysis", "Celery queue name"),
    _S("COE_BROKER_VISIBILITY_TIMEOUT", "2 x time limit", "Redis broker: seconds before redelivery"),
    _S("COE_BROKER_CONSUMER_TIMEOUT", "1800", "RabbitMQ: the server's consumer_timeout, seconds"),
    # web
    _S("COE_BIND", "127.0.0.1:8000", "address the server listens on"),
    _S("COE_AUTH", "on", "on (bearer tokens) or off (loopback only)"),
    _S("COE_AUTH_CACHE_TTL", "5", "seconds a verified token is trusted per process"),
    _S("COE_AUTH_OUTAGE_GRACE", "300", "extra seconds a verified token is trusted while the database is down"),
    _S("COE_MAX_BODY_BYTES", "1048576", "largest request body"),
    _S("COE_RATE_LIMIT", "6000 per minute", "request budget per token or client address"),
    _S("COE_RATE_LIMIT_ENABLED", "on", "apply the request budget"),
    _S("COE_CORS_ORIGINS", "-", "browser origins allowed to call the API", separator=","),
    _S("COE_API_LOG", "on", "log every API call to api_logs"),
    _S("COE_API_LOG_BUFFER", "10000", "API log entries buffered in memory"),
    _S("COE_API_LOG_BATCH", "500", "API log entries per insert"),
    _S("COE_API_LOG_INTERVAL", "1", "seconds between API log flushes"),
    _S("COE_API_LOG_RETENTION_DAYS", "30", "days API call logs are kept (0: forever)"),
    _S("COE_RESULT_CACHE_ENTRIES", "512", "finished result documents kept serialized in memory"),
    _S("COE_RESULT_RECHECK_SECONDS", "10", "how often cached documents check their analysis still exists"),
    _S("COE_LIST_CACHE_SECONDS", "1", "seconds an analysis listing is answered from memory (0: off)"),
    _S("COE_CHECK_MIGRATIONS", "on", "refuse to start unless migrations validate"),
    _S("COE_LEGACY_ROUTES", "on", "mount the original services' routes"),
    _S("COE_LEGACY_LOOPBACK_WITHOUT_TOKEN", "off", "serve those routes to loopback clients without a token"),
    # embeddings
    _S("COE_EMBEDDINGS_PROVIDER", "-", "local or openai: embed documents for semantic search"),
    _S("COE_EMBEDDINGS_TIMEOUT", "300", "seconds one embedding pass may take"),
    _S("COE_EMBEDDINGS_LOCAL_MODEL", "all-MiniLM-L6-v2", "local provider: the model"),
    _S("COE_EMBEDDINGS_URL", "-", "openai provider: the API base URL", secret=True),
    _S("COE_EMBEDDINGS_MODEL", "-", "openai provider: the model"),
    _S("COE_EMBEDDINGS_KEY", "-", "openai provider: the API key", secret=True),
    _S("COE_EMBEDDINGS_REQUEST_TIMEOUT", "30", "openai provider: seconds per request"),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS if s.name != CONFIG_VARIABLE}


class ConfigFileError(BadInput, ValueError):
    """A settings file that cannot be used; ``str()`` is one line naming the file and line.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


# --- the file --------------------------------------------------------------------


@dataclass(frozen=True)
class FileValues:
    """What one settings file holds: each setting's value as text and the line it is on."""

    path: Path | None
    values: dict[str, str]
    lines: dict[str, int]


_EMPTY = FileValues(None, {}, {})
_KEY_LINE = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
_TABLE_LINE = re.compile(r"^\s*\[")


def key_lines(text: str) -> dict[str, int]:
    """Line numbers (1-based) of the top-level keys of a TOML text, before any table header."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if _TABLE_LINE.match(line):
            break
        match = _KEY_LINE.match(line)
        if match:
            found.setdefault(next(g for g in match.groups() if g), number)
    return found


def _decode_error(path: Path, exc: tomllib.TOMLDecodeError, text: str) -> ConfigFileError:
    message = str(exc)
    if message.endswith("(at end of document)"):
        return ConfigFileError(f"{path}:{max(1, len(text.splitlines()))}: {message.removesuffix('(at end of document)').strip()} at the end of the file")
    match = re.search(r"\(at line (\d+), column \d+\)", message)
    if match:
        return ConfigFileError(f"{path}:{match.group(1)}: {message[:match.start()].strip()}")
    return ConfigFileError(f"{path}: {message}")


def _as_text(setting: Setting, value: Any) -> str | None:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and setting.separator is not None and all(isinstance(v, str) for v in value):
        return setting.separator.join(value)
    return None


def parse_file(path: Path) -> FileValues:
    """Read ``path`` (a ``coe.toml``); :class:`ConfigFileError` for anything wrong in it."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigFileError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _decode_error(path, exc, text) from None
    lines = key_lines(text)
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    for key, value in data.items():
        line = lines.get(key)
        at = f"{path}:{line}" if line else str(path)
        setting = BY_KEY.get(key.lower().removeprefix("coe_"))
        if setting is None and key in OTHER_TABLES and isinstance(value, dict):
            continue
        if setting is None:
            if isinstance(value, dict):
                at = f"{path}:{_table_line(text, key)}"
                raise ConfigFileError(f"{at}: unknown table [{key}] (settings are top-level keys such as database_url)")
            raise ConfigFileError(f"{at}: unknown setting '{key}'")
        text_value = _as_text(setting, value)
        if text_value is None:
            kind = "a list of strings, a string" if setting.separator else "a string"
            raise ConfigFileError(f"{at}: '{key}' must be {kind}, a number or true/false")
        values[setting.name] = text_value
        if line:
            where[setting.name] = line
    return FileValues(path, values, where)


def _table_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[\s*{re.escape(key)}\s*[\].]", line):
            return number
    return 1


def config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """The settings file in use: ``COE_CONFIG``, else ``./coe.toml`` when present, else None."""
    found = _located(os.environ if env is None else env)
    return found[0] if found is not None else None


def _located(env: Mapping[str, str]) -> tuple[Path, os.stat_result] | None:
    """The settings file and its ``stat``, in one system call."""
    named = env.get(CONFIG_VARIABLE, "").strip()
    path = Path(named).expanduser() if named else Path(DEFAULT_CONFIG_FILE)
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    if stat is None or not S_ISREG(stat.st_mode):
        if named:
            raise ConfigFileError(f"{path}: {CONFIG_VARIABLE} names a file that does not exist")
        return None
    return path, stat


#: The last file parsed, by (path, mtime, size). No lock: forked children read it too, and a
#: dict assignment is atomic.
_parsed: dict[tuple[str, int, int], FileValues] = {}


def file_values(env: Mapping[str, str] | None = None) -> FileValues:
    """The settings file's values, parsed again only when the file changes."""
    located = _located(os.environ if env is None else env)
    if located is None:
        return _EMPTY
    path, stat = located
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    found = _parsed.get(key)
    if found is None:
        found = parse_file(path)
        _parsed.clear()  # one file in use at a time
        _parsed[key] = found
    return found


# --- the settings object ------------------------------------------------------------


_model: list[type] = []


def settings_class() -> type["BaseSettings"]:
    """The pydantic-settings model: one field per setting, named as the variable, None when unset.

    Built on first use, so a command that never needs the object (no settings
    file) never imports pydantic-settings.
    """
    if _model:
        return _model[0]
    from pydantic import create_model
    from pydantic.fields import FieldInfo
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

    class FileSource(PydanticBaseSettingsSource):
        """The ``coe.toml`` values, below the environment."""

        def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
            return file_values().values.get(field_name), field_name, False

        def __call__(self) -> dict[str, Any]:
            return dict(file_values().values)

    class Base(BaseSettings):
        model_config = SettingsConfigDict(case_sensitive=True, env_prefix="", env_ignore_empty=False, extra="ignore", frozen=True)

        @classmethod
        def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                       env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                       file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, FileSource(settings_cls)

    model = create_model(  # type: ignore[call-overload]
        "CoeSettings", __base__=Base, __doc__="Every COE_* setting as text (None: unset, so the documented default applies).",
        **{s.name: (str | None, None) for s in SETTINGS},
    )
    _model.append(model)
    return model


#: The object last built, by the ``COE_*`` environment and the file it was built from.
_built: dict[tuple[Any, ...], Any] = {}


def current() -> "BaseSettings":
    """The settings now: the environment over the file.

    Built again whenever a ``COE_*`` variable or the file changed (a test that
    sets a variable sees it at once), else the object already built is returned.
    """
    return _current(dict(os.environ), file_values())[0]


def _current(env: dict[str, str], found: FileValues) -> tuple[Any, dict[str, str]]:
    """The object for this environment and file, and the values it holds (unset ones left out)."""
    key = (tuple(sorted((k, v) for k, v in env.items() if k.startswith("COE_"))), id(found), found.path)
    built = _built.get(key)
    if built is None or built[2] is not found:
        model = settings_class()()
        built = (model, model.model_dump(exclude_none=True), found)
        _built.clear()
        _built[key] = built
    return built[0], built[1]


def read_number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0,
                error: type[ValueError] = ValueError) -> float:
    """The number a setting holds, ``default`` when it is unset or empty; ``error`` (one line
    naming the variable) when it is no number or below ``minimum``."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise error(f"{name} must be a number, got {raw!r}") from None
    if value < minimum or value != value:
        raise error(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def environ() -> dict[str, str]:
    """``os.environ`` with the settings file's values for what the environment leaves unset.

    What the subsystems read instead of ``os.environ``.
    """
    merged = dict(os.environ)
    found = file_values(merged)
    if found is _EMPTY:  # no file: the object would hold exactly the environment's values
        return merged
    for name, value in _current(merged, found)[1].items():
        if name not in merged:
            merged[name] = value
    return merged


def get(name: str, default: str = "") -> str:
    """One setting's effective text (``default`` when unset)."""
    if name not in BY_NAME:
        raise KeyError(f"{name} is not a CoE setting")
    value = getattr(current(), name)
    return default if value is None else value


# --- where each value came from -------------------------------------------------------

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/@:\s]*:)(?P<password>[^@/\s]+)(?P<tail>@)", re.IGNORECASE)


def mask(setting: Setting, value: str | None) -> str | None:
    """A value fit to print: passwords in URLs, keys and tokens replaced by ``***``."""
    if value is None:
        return None
    if _URL_PASSWORD.search(value):
        return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", value)
    if setting.secret and "://" not in value:
        return "***"
    if setting.secret and "?" in value:  # tokens in a query string
        return value.split("?", 1)[0] + "?***"
    return value


def explain() -> list[dict[str, Any]]:
    """Each setting: its effective value (masked), and where it came from (env, file:line, default)."""
    settings = current()
    found = file_values()
    rows = []
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if setting.name == CONFIG_VARIABLE:
            value = str(found.path) if found.path is not None else value
            source = "env" if CONFIG_VARIABLE in os.environ else ("default" if found.path is not None else "unset")
        elif setting.name in os.environ:
            source = "env"
        elif setting.name in found.values:
            line = found.lines.get(setting.name)
            source = f"file:{found.path}:{line}" if line else f"file:{found.path}"
        else:
            source = "default"
        rows.append({
            "name": setting.name,
            "value": mask(setting, value) if value is not None else None,
            "default": setting.default,
            "source": source,
            "secret": setting.secret,
            "help": setting.help,
        })
    return rows
