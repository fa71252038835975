"""``POST /api/v1/hooks/{github,gitlab,gitea}``: push deliveries from Git hosts.

No bearer token: a delivery proves itself with the watch's secret
(:mod:`coe_framework.watch.webhooks`). The body is capped by
``COE_WEBHOOK_MAX_BYTES`` (25 MB, GitHub's own limit): a larger declared
length is a 413 before anything is read, and a chunked body is read only up
to the cap. Refusals are logged with the provider, delivery id and reason,
never the body.
"""
from __future__ import annotations

import logging
from typing import Any

from apiflask import APIBlueprint
from flask import request

from coe_framework.watch.webhooks import PROVIDERS, HookRefused, handle_delivery

from ..problems import Problem
from ..watch_schemas import HookOut
from .common import coe
from .watches import watch_settings

log = logging.getLogger(__name__)
bp = APIBlueprint("hooks", __name__, tag="Webhooks")

_SCHEMES = {
    "github": "`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, `X-GitHub-Event`, `X-GitHub-Delivery`",
    "gitlab": "`X-Gitlab-Token: <the secret>`, `X-Gitlab-Event`, `X-Gitlab-Event-UUID` (or `Idempotency-Key`)",
    "gitea": "`X-Gitea-Signature: <hex HMAC-SHA256 of the body>`, `X-Gitea-Event`, `X-Gitea-Delivery`",
}


def _read_body(limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` (declared or actual) and 415 when not JSON, before reading it all."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Problem(413, f"the webhook body is larger than {limit} bytes", kind="body-too-large")
    if request.mimetype != "application/json":
        raise Problem(415, "the webhook body must be JSON (Content-Type: application/json)")
    request.max_content_length = limit  # this route's own cap, not the API's general one
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise Problem(413, f"the webhook body is larger than {limit} bytes", kind="body-too-large")
    return body


def _receive(provider: str) -> Any:
    settings = watch_settings()
    body = _read_body(settings.webhook_max_bytes)
    the_coe = coe()
    try:
        outcome = handle_delivery(the_coe.engine, provider, request.headers, body, secret_key=settings.secret_key,
                                  submit=the_coe.submit)
    except HookRefused as exc:
        log.warning("webhook %s from %s refused (%s): %s", provider, request.remote_addr, exc.status, exc.detail)
        raise Problem(exc.status, exc.detail, kind=exc.kind) from None
    return outcome.to_dict(), 202 if outcome.status == "queued" else 200


def _make_view(provider: str) -> None:
    def view() -> Any:
        return _receive(provider)

    view.__name__ = f"receive_{provider}"
    view = bp.output(HookOut, status_code=200, description="Acknowledged: ignored, a ping, or deferred behind an active analysis")(view)
    view = bp.doc(
        summary=f"Receive a {provider.capitalize()} push",
        description=(
            f"Signed with the watch's webhook secret: {_SCHEMES[provider]}. A push to the watched ref queues an "
            "analysis of the pushed commit (202); other refs and events are acknowledged (200). Refused without any "
            "work: a missing header or malformed JSON (400), a bad signature (401), no matching watch (404), "
            "a replayed delivery id (409), a body over COE_WEBHOOK_MAX_BYTES (413), a body that is not JSON (415)."
        ),
        responses={
            202: {"description": "An analysis of the pushed commit was queued",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HookOut"}}}},
            400: "A header is missing or the body is not a JSON object",
            401: "The signature does not verify",
            404: "No watched repository matches",
            409: "This delivery id was already received",
            413: "The body is too large",
            415: "The body is not JSON",
        },
    )(view)
    bp.post(f"/hooks/{provider}")(view)


for _provider in PROVIDERS:
    _make_view(_provider)
