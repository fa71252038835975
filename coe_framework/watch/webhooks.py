"""Push deliveries from GitHub, GitLab and Gitea: refused without work unless proven, then queued.

:func:`handle_delivery` takes what arrived (provider, headers, body bytes)
and either raises :class:`HookRefused` (status, one line) or returns what
it did. In order, each step before any work:

1. the delivery id and event headers must be there (400);
2. the body must be a JSON object (400);
3. some enabled watch's URL must match a URL of the payload's repository (404);
4. the signature must verify with that watch's secret (401): GitHub's
   ``X-Hub-Signature-256`` (``sha256=`` + hex HMAC-SHA256 of the body),
   Gitea's ``X-Gitea-Signature`` (hex HMAC-SHA256), GitLab's
   ``X-Gitlab-Token`` (the token, compared by hash); constant-time;
5. the delivery id must be new (409: a replay); it is recorded with a unique key,
   in the same transaction as what it queues, so a replay leaves nothing behind.

Only then is a push to a watched ref queued (:func:`.queueing.queue_in`);
other refs, deleted branches and other events are acknowledged and ignored.
Nothing here logs the body.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ..db.engine import unit_of_work
from ..db.models import WatchedRepository, WebhookDelivery, utcnow
from .keys import match_key
from .queueing import Queued, hand_over, queue_in
from .registry import WatchRegistry
from .secrets import SecretKeyError, decrypt_secret, hash_secret, hmac_sha256_hex, same

log = logging.getLogger(__name__)

PROVIDERS = ("github", "gitlab", "gitea")
_ZERO_SHA = "0" * 40
#: Per provider: the event header, the delivery id header(s), the push event names.
_EVENT_HEADER = {"github": "X-GitHub-Event", "gitlab": "X-Gitlab-Event", "gitea": "X-Gitea-Event"}
_DELIVERY_HEADERS = {
    "github": ("X-GitHub-Delivery",),
    "gitlab": ("X-Gitlab-Event-UUID", "Idempotency-Key"),
    "gitea": ("X-Gitea-Delivery",),
}
_PUSH_EVENTS = {"github": {"push"}, "gitlab": {"Push Hook", "Tag Push Hook"}, "gitea": {"push"}}
_PING_EVENTS = {"github": {"ping"}, "gitlab": {"System Hook"}, "gitea": set()}
#: Payload keys holding the repository's URLs, per provider.
_URL_KEYS = {
    "github": ("repository", ("clone_url", "html_url", "ssh_url", "git_url", "url")),
    "gitea": ("repository", ("clone_url", "html_url", "ssh_url", "url")),
    "gitlab": ("project", ("git_http_url", "git_ssh_url", "web_url", "http_url", "ssh_url", "url")),
}


class HookRefused(Exception):
    """A delivery refused before any work: ``status`` and one line."""

    def __init__(self, status: int, detail: str, kind: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind


@dataclass
class HookOutcome:
    """What an accepted delivery did: ``queued`` (with request ids), ``ignored``, ``busy`` or ``pong``."""

    status: str
    delivery: str
    watches: list[int] = field(default_factory=list)
    analyses: list[int] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "delivery": self.delivery, "watches": self.watches, "analyses": self.analyses,
                "reason": self.reason}


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # plain dicts in tests and benches; werkzeug's headers ignore case already
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return (value or "").strip()


def delivery_id(provider: str, headers: Mapping[str, str]) -> str:
    """The provider's delivery id (400 when missing or unusable)."""
    for name in _DELIVERY_HEADERS[provider]:
        value = _header(headers, name)
        if value:
            if len(value) > 200 or not value.isprintable():
                raise HookRefused(400, f"{name} must be at most 200 printable characters")
            return value
    raise HookRefused(400, f"the {_DELIVERY_HEADERS[provider][0]} header is missing")


def parse_body(body: bytes) -> dict[str, Any]:
    """The payload as a JSON object (400 otherwise)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HookRefused(400, "the body is not valid JSON", "malformed-json") from None
    if not isinstance(payload, dict):
        raise HookRefused(400, "the body must be a JSON object", "malformed-json")
    return payload


def repository_urls(provider: str, payload: Mapping[str, Any]) -> list[str]:
    """Every URL the payload gives for its repository (GitLab: the project, then the older ``repository``)."""
    container, keys = _URL_KEYS[provider]
    sources = [payload.get(container)]
    if provider == "gitlab":
        sources.append(payload.get("repository"))
    urls = []
    for source in sources:
        if isinstance(source, dict):
            for key in keys + ("git_http_url", "homepage"):
                value = source.get(key)
                if isinstance(value, str) and 0 < len(value) <= 2048:
                    urls.append(value)
    return list(dict.fromkeys(urls))


def signature_valid(provider: str, headers: Mapping[str, str], body: bytes, watch: WatchedRepository, key: str | None) -> bool:
    """True when the delivery proves it knows ``watch``'s secret, by the provider's scheme."""
    if watch.secret_hash is None:
        return False
    if provider == "gitlab":
        token = _header(headers, "X-Gitlab-Token")
        return bool(token) and same(hash_secret(token), watch.secret_hash)
    header = _header(headers, "X-Hub-Signature-256" if provider == "github" else "X-Gitea-Signature")
    if provider == "github":
        if not header.startswith("sha256="):
            return False
        header = header[len("sha256="):]
    if not header or watch.secret_encrypted is None:
        return False
    try:
        secret = decrypt_secret(watch.secret_encrypted, key)
    except SecretKeyError as exc:
        log.error("webhook for watch %s cannot be verified: %s", watch.id, exc)
        return False
    return same(hmac_sha256_hex(secret, body), header.lower())


def _watched_ref(watch: WatchedRepository, default_branch: str | None) -> set[str]:
    """The full ref names a push must name to concern ``watch``."""
    if watch.ref == "HEAD":
        branch = watch.resolved_ref or default_branch
        return {f"refs/heads/{branch}"} if branch else set()
    if watch.ref.startswith("refs/"):
        return {watch.ref}
    return {f"refs/heads/{watch.ref}", f"refs/tags/{watch.ref}"}


def _default_branch(provider: str, payload: Mapping[str, Any]) -> str | None:
    container = payload.get("project" if provider == "gitlab" else "repository")
    value = container.get("default_branch") if isinstance(container, dict) else None
    return value if isinstance(value, str) else None


def handle_delivery(engine: Engine, provider: str, headers: Mapping[str, str], body: bytes, *,
                    secret_key: str | None, submit: Callable[[int], Any] | None) -> HookOutcome:
    """Verify and act on one delivery (see the module's docstring for the order of checks)."""
    if provider not in PROVIDERS:
        raise HookRefused(404, f"unknown webhook provider '{provider[:40]}'")
    delivery = delivery_id(provider, headers)
    event = _header(headers, _EVENT_HEADER[provider])
    if not event:
        raise HookRefused(400, f"the {_EVENT_HEADER[provider]} header is missing")
    payload = parse_body(body)
    urls = repository_urls(provider, payload)
    candidates = WatchRegistry(engine).by_match_keys([match_key(u) for u in urls])
    if not candidates:
        raise HookRefused(404, "no watched repository matches this delivery", "unknown-repository")
    verified = [w for w in candidates if signature_valid(provider, headers, body, w, secret_key)]
    if not verified:
        raise HookRefused(401, "the delivery's signature does not verify with the watch's secret", "bad-signature")
    outcome, concerned, commit = _plan(provider, event, payload, verified, delivery)
    # One unit of work: the delivery row (its unique key refuses a replay) and what it queued commit together.
    queued_now: list[Queued] = []
    try:
        with unit_of_work(engine, write=True) as session:
            record = WebhookDelivery(provider=provider, delivery_id=delivery, watch_id=verified[0].id, event=event[:64],
                                     outcome="received", received_at=utcnow())
            session.add(record)
            session.flush()
            for watch in concerned:
                queued = queue_in(session, watch.id, commit)
                queued_now.append(queued)
                if queued.outcome == "queued" and queued.request_id is not None:
                    outcome.analyses.append(queued.request_id)
                    outcome.status, outcome.reason = "queued", None
                elif queued.outcome == "busy" and outcome.status != "queued":
                    outcome.status, outcome.reason = "busy", "an analysis of this repository is active; the push is analyzed after it"
                elif outcome.status == "ignored":
                    outcome.reason = f"commit {commit[:12]} was already analyzed"
            record.outcome = outcome.status
            record.request_id = outcome.analyses[0] if outcome.analyses else None
    except IntegrityError:
        raise HookRefused(409, f"delivery {delivery[:80]} was already received", "delivery-replayed") from None
    for queued in queued_now:
        hand_over(queued, submit)
    log.info("webhook %s delivery %s (%s): %s%s", provider, delivery, event[:64], outcome.status,
             f" analyses {outcome.analyses}" if outcome.analyses else "")
    return outcome


def _plan(provider: str, event: str, payload: Mapping[str, Any], watches: list[WatchedRepository],
          delivery: str) -> tuple[HookOutcome, list[WatchedRepository], str]:
    """What a verified delivery asks: the watches a push concerns and its commit (400 for a bad push payload)."""
    ids = [w.id for w in watches]
    if event in _PING_EVENTS[provider]:
        return HookOutcome("pong", delivery, ids), [], ""
    if event not in _PUSH_EVENTS[provider]:
        return HookOutcome("ignored", delivery, ids, reason=f"event '{event[:64]}' is not a push"), [], ""
    ref, after = payload.get("ref"), payload.get("after")
    if not isinstance(ref, str) or not isinstance(after, str):
        raise HookRefused(400, "a push payload needs 'ref' and 'after'", "malformed-json")
    if after == _ZERO_SHA or payload.get("deleted") is True:
        return HookOutcome("ignored", delivery, ids, reason=f"{ref[:255]} was deleted"), [], ""
    if not (len(after) in (40, 64) and all(c in "0123456789abcdef" for c in after.lower())):
        raise HookRefused(400, "'after' is not a commit SHA", "malformed-json")
    default = _default_branch(provider, payload)
    concerned = [w for w in watches if ref in _watched_ref(w, default)]
    if not concerned:
        return HookOutcome("ignored", delivery, ids, reason=f"{ref[:255]} is not a watched ref"), [], ""
    return HookOutcome("ignored", delivery, [w.id for w in concerned]), concerned, after.lower()
