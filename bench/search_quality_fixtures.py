"""Two small repositories for the search quality benchmark, and the labelled queries over them.

``shopfront`` is a web shop service (blueprints, auth, payments with retries,
a Kafka consumer, caching); ``tidepool`` is a data pipeline tool (readers,
transforms, an S3 sink, a scheduler, a plugin loader). Every query names the
file (and, where one symbol answers it, the symbol) a good search returns.
Questions are phrased the way people ask, often with other words than the code.
"""
from __future__ import annotations

SHOPFRONT = {
    "shopfront/app.py": '''"""The application factory."""
from flask import Flask

from .blueprints import catalog_bp, checkout_bp, account_bp


def create_app(config_object="shopfront.settings.Production"):
    """Build the Flask app: load settings, attach extensions, register blueprints."""
    app = Flask(__name__)
    app.config.from_object(config_object)
    register_blueprints(app)
    return app


def register_blueprints(app):
    """Mount every blueprint under its URL prefix."""
    for blueprint, prefix in ((catalog_bp, "/catalog"), (checkout_bp, "/checkout"), (account_bp, "/account")):
        app.register_blueprint(blueprint, url_prefix=prefix)
''',
    "shopfront/settings.py": '''"""Configuration classes, read from environment variables."""
import os


class Production:
    SECRET_KEY = os.environ.get("SHOP_SECRET_KEY")
    DATABASE_URL = os.environ.get("SHOP_DATABASE_URL", "postgresql://localhost/shop")
    SESSION_COOKIE_SECURE = True


class Testing(Production):
    DATABASE_URL = "sqlite://"
    SESSION_COOKIE_SECURE = False
''',
    "shopfront/blueprints.py": '''"""Route groups of the shop."""
from flask import Blueprint

catalog_bp = Blueprint("catalog", __name__)
checkout_bp = Blueprint("checkout", __name__)
account_bp = Blueprint("account", __name__)
''',
    "shopfront/auth/passwords.py": '''"""Password storage: salted, slow hashes; never the password itself."""
import hashlib
import hmac
import os

ITERATIONS = 600_000


def hash_password(password):
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return salt.hex() + "$" + digest.hex()


def verify_password(password, stored):
    salt_hex, digest_hex = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), ITERATIONS)
    return hmac.compare_digest(digest.hex(), digest_hex)
''',
    "shopfront/auth/tokens.py": '''"""Signed, expiring tokens for password reset links."""
import time

from itsdangerous import URLSafeTimedSerializer


def make_reset_token(secret, user_id):
    return URLSafeTimedSerializer(secret).dumps({"user": user_id, "at": int(time.time())})


def read_reset_token(secret, token, max_age=3600):
    """The user id in a reset token, or None when it expired or was tampered with."""
    try:
        return URLSafeTimedSerializer(secret).loads(token, max_age=max_age)["user"]
    except Exception:
        return None
''',
    "shopfront/payments/client.py": '''"""Calls to the payment provider, retried with exponential backoff."""
import random
import time

import requests


class PaymentDeclined(Exception):
    pass


def with_backoff(call, attempts=5, base=0.2, cap=5.0):
    """Run call(); on a connection error wait base * 2**n (with jitter, at most cap) and try again."""
    for attempt in range(attempts):
        try:
            return call()
        except requests.ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(min(cap, base * 2 ** attempt) * random.uniform(0.5, 1.5))


def charge_card(api_url, card_token, amount_cents, currency="EUR"):
    """Charge a card; raises PaymentDeclined when the provider refuses it."""
    response = with_backoff(lambda: requests.post(api_url + "/charges", json={
        "source": card_token, "amount": amount_cents, "currency": currency}, timeout=10))
    if response.status_code == 402:
        raise PaymentDeclined(response.json().get("reason"))
    return response.json()["id"]


def refund_charge(api_url, charge_id):
    return with_backoff(lambda: requests.post(f"{api_url}/charges/{charge_id}/refund", timeout=10)).json()
''',
    "shopfront/payments/webhooks.py": '''"""Events the payment provider posts back to us, with their signature checked."""
import hashlib
import hmac


def verify_signature(secret, payload, signature_header):
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)


def handle_payment_event(event, orders):
    if event["type"] == "charge.succeeded":
        orders.mark_paid(event["data"]["order_id"])
    elif event["type"] == "charge.refunded":
        orders.mark_refunded(event["data"]["order_id"])
''',
    "shopfront/events/consumer.py": '''"""Order events from Kafka, handled one at a time with commits after success."""
from kafka import KafkaConsumer


def consume_order_events(brokers, handler, topic="orders"):
    consumer = KafkaConsumer(topic, bootstrap_servers=brokers, group_id="shopfront", enable_auto_commit=False)
    for message in consumer:
        handler(message.value)
        consumer.commit()
''',
    "shopfront/events/producer.py": '''"""Publishing stock changes for the warehouse service."""
import json

from kafka import KafkaProducer


def publish_stock_change(brokers, sku, delta):
    producer = KafkaProducer(bootstrap_servers=brokers, value_serializer=lambda v: json.dumps(v).encode())
    producer.send("stock", {"sku": sku, "delta": delta})
    producer.flush()
''',
    "shopfront/cache.py": '''"""A small time-based cache for product pages."""
import time


class TTLCache:
    """Keeps values for ttl seconds; the oldest entry goes when full."""

    def __init__(self, ttl=60, max_entries=1000):
        self.ttl, self.max_entries, self.items = ttl, max_entries, {}

    def get(self, key):
        value, stored = self.items.get(key, (None, 0))
        return value if time.monotonic() - stored < self.ttl else None

    def put(self, key, value):
        if len(self.items) >= self.max_entries:
            self.items.pop(next(iter(self.items)))
        self.items[key] = (value, time.monotonic())
''',
    "shopfront/catalog/search.py": '''"""Product listing: filters, sorting and pages."""


def paginate(items, page, per_page=20):
    """One page of items and whether another follows."""
    start = (page - 1) * per_page
    return items[start:start + per_page], len(items) > start + per_page


def filter_by_price(products, low, high):
    return [p for p in products if low <= p.price_cents <= high]
''',
    "shopfront/email.py": '''"""Order confirmation emails over SMTP."""
import smtplib
from email.message import EmailMessage


def send_order_confirmation(smtp_host, to_address, order):
    message = EmailMessage()
    message["Subject"] = f"Your order {order.number}"
    message["To"] = to_address
    message.set_content(f"Thanks! We received {len(order.lines)} items.")
    with smtplib.SMTP(smtp_host) as smtp:
        smtp.send_message(message)
''',
    "shopfront/ratelimit.py": '''"""Limit how many requests one client may send per minute."""
import time
from collections import defaultdict, deque


class SlidingWindowLimiter:
    def __init__(self, limit=100, window=60.0):
        self.limit, self.window, self.hits = limit, window, defaultdict(deque)

    def allow(self, client_ip):
        now = time.monotonic()
        hits = self.hits[client_ip]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True
''',
    "README.md": '''# shopfront

The web shop: catalog, checkout and accounts.

## Running locally

Start PostgreSQL and Kafka with `docker compose up`, then `flask --app shopfront run`.

## Deployment

Production runs under gunicorn behind nginx; set `SHOP_SECRET_KEY` and `SHOP_DATABASE_URL`.
''',
}

TIDEPOOL = {
    "tidepool/cli.py": '''"""The tidepool command: run a pipeline file, list plugins."""
import argparse

from .pipeline import load_pipeline, run_pipeline


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tidepool")
    parser.add_argument("pipeline", help="a pipeline YAML file")
    parser.add_argument("--dry-run", action="store_true", help="validate without running")
    args = parser.parse_args(argv)
    pipeline = load_pipeline(args.pipeline)
    if not args.dry_run:
        run_pipeline(pipeline)
''',
    "tidepool/pipeline.py": '''"""A pipeline: one reader, transforms in order, one sink."""
import yaml

from .plugins import find_plugin


def load_pipeline(path):
    """Read a pipeline definition and resolve each step to its plugin."""
    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    return [find_plugin(step["type"])(**step.get("options", {})) for step in spec["steps"]]


def run_pipeline(steps):
    reader, *transforms, sink = steps
    for record in reader.read():
        for transform in transforms:
            record = transform.apply(record)
            if record is None:
                break
        else:
            sink.write(record)
    sink.close()
''',
    "tidepool/plugins.py": '''"""Steps are plugins found through entry points."""
from importlib.metadata import entry_points


def find_plugin(name):
    """The step class registered under name in the tidepool.steps entry point group."""
    for entry in entry_points(group="tidepool.steps"):
        if entry.name == name:
            return entry.load()
    raise LookupError(f"no step named {name}")
''',
    "tidepool/readers/csv_reader.py": '''"""Records from CSV files, with the header as field names."""
import csv


class CsvReader:
    def __init__(self, path, delimiter=","):
        self.path, self.delimiter = path, delimiter

    def read(self):
        with open(self.path, newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle, delimiter=self.delimiter)
''',
    "tidepool/readers/http_reader.py": '''"""Records from a paginated JSON API, following next links."""
import requests


class HttpReader:
    def __init__(self, url, token=None):
        self.url, self.headers = url, ({"Authorization": f"Bearer {token}"} if token else {})

    def read(self):
        url = self.url
        while url:
            page = requests.get(url, headers=self.headers, timeout=30).json()
            yield from page["results"]
            url = page.get("next")
''',
    "tidepool/transforms/dates.py": '''"""Normalize timestamps to UTC ISO 8601."""
from datetime import datetime, timezone


def parse_timestamp(value):
    """Accept epoch seconds or ISO strings; return an aware UTC datetime."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class NormalizeDates:
    def __init__(self, fields):
        self.fields = fields

    def apply(self, record):
        for field in self.fields:
            record[field] = parse_timestamp(record[field]).isoformat()
        return record
''',
    "tidepool/transforms/dedupe.py": '''"""Drop records already seen, by a key of chosen fields."""
import hashlib


class DropDuplicates:
    def __init__(self, keys):
        self.keys, self.seen = keys, set()

    def apply(self, record):
        digest = hashlib.sha1("|".join(str(record[k]) for k in self.keys).encode()).hexdigest()
        if digest in self.seen:
            return None
        self.seen.add(digest)
        return record
''',
    "tidepool/transforms/validate.py": '''"""Reject records that do not match a JSON schema."""
import jsonschema


class ValidateSchema:
    def __init__(self, schema):
        self.validator = jsonschema.Draft7Validator(schema)

    def apply(self, record):
        errors = list(self.validator.iter_errors(record))
        return None if errors else record
''',
    "tidepool/sinks/s3_sink.py": '''"""Write records as gzip-compressed JSON lines to S3, one object per batch."""
import gzip
import json
import uuid

import boto3


class S3Sink:
    def __init__(self, bucket, prefix, batch_size=10_000):
        self.client, self.bucket, self.prefix = boto3.client("s3"), bucket, prefix
        self.batch_size, self.buffer = batch_size, []

    def write(self, record):
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            self.flush()

    def flush(self):
        if self.buffer:
            body = gzip.compress("\\n".join(json.dumps(r) for r in self.buffer).encode())
            self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}/{uuid.uuid4()}.jsonl.gz", Body=body)
            self.buffer = []

    def close(self):
        self.flush()
''',
    "tidepool/sinks/postgres_sink.py": '''"""Load records into a PostgreSQL table with COPY."""
import io

import psycopg


class PostgresSink:
    def __init__(self, dsn, table, columns):
        self.connection, self.table, self.columns, self.rows = psycopg.connect(dsn), table, columns, []

    def write(self, record):
        self.rows.append([record.get(c) for c in self.columns])

    def close(self):
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row)
        self.connection.commit()
''',
    "tidepool/scheduler.py": '''"""Run pipelines on a cron schedule."""
import time

from croniter import croniter


def run_on_schedule(expression, job):
    """Call job() at every time the cron expression names, forever."""
    schedule = croniter(expression, time.time())
    while True:
        next_run = schedule.get_next(float)
        time.sleep(max(0.0, next_run - time.time()))
        job()
''',
    "tidepool/checksum.py": '''"""File integrity: content digests computed in chunks."""
import hashlib


def file_sha256(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
''',
    "tidepool/metrics.py": '''"""Counters of processed and dropped records, exposed for Prometheus."""
from prometheus_client import Counter

RECORDS_PROCESSED = Counter("tidepool_records_processed_total", "Records written by a sink")
RECORDS_DROPPED = Counter("tidepool_records_dropped_total", "Records a transform dropped")
''',
    "README.md": '''# tidepool

Small data pipelines: read, transform, write.

## Writing a step plugin

Register a class under the `tidepool.steps` entry point group; it needs `read()`, `apply(record)` or `write(record)` and `close()`.

## Scheduling

`tidepool-schedule "0 * * * *" pipeline.yaml` runs a pipeline every hour.
''',
}

REPOSITORIES = {"shopfront": SHOPFRONT, "tidepool": TIDEPOOL}

#: (query, repository, path that answers it, symbol that answers it or None).
QUERIES: list[tuple[str, str, str, str | None]] = [
    ("where are blueprints registered", "shopfront", "shopfront/app.py", "register_blueprints"),
    ("application factory", "shopfront", "shopfront/app.py", "create_app"),
    ("retry with backoff", "shopfront", "shopfront/payments/client.py", "with_backoff"),
    ("charge a credit card", "shopfront", "shopfront/payments/client.py", "charge_card"),
    ("refund a payment", "shopfront", "shopfront/payments/client.py", "refund_charge"),
    ("how are passwords stored", "shopfront", "shopfront/auth/passwords.py", "hash_password"),
    ("check a password against its hash", "shopfront", "shopfront/auth/passwords.py", "verify_password"),
    ("password reset link token", "shopfront", "shopfront/auth/tokens.py", "make_reset_token"),
    ("expired reset token", "shopfront", "shopfront/auth/tokens.py", "read_reset_token"),
    ("which services use Kafka", "shopfront", "shopfront/events/consumer.py", None),
    ("consume order events", "shopfront", "shopfront/events/consumer.py", "consume_order_events"),
    ("publish stock changes to the warehouse", "shopfront", "shopfront/events/producer.py", "publish_stock_change"),
    ("verify webhook signature", "shopfront", "shopfront/payments/webhooks.py", "verify_signature"),
    ("mark an order as paid", "shopfront", "shopfront/payments/webhooks.py", "handle_payment_event"),
    ("cache entries expire after a time", "shopfront", "shopfront/cache.py", "TTLCache"),
    ("pagination of product listings", "shopfront", "shopfront/catalog/search.py", "paginate"),
    ("filter products by price", "shopfront", "shopfront/catalog/search.py", "filter_by_price"),
    ("send the order confirmation email", "shopfront", "shopfront/email.py", "send_order_confirmation"),
    ("rate limiting requests per client", "shopfront", "shopfront/ratelimit.py", "SlidingWindowLimiter"),
    ("database URL setting", "shopfront", "shopfront/settings.py", None),
    ("secure session cookie", "shopfront", "shopfront/settings.py", None),
    ("how is it deployed in production", "shopfront", "README.md", None),
    ("run the shop locally with docker", "shopfront", "README.md", None),
    ("payment declined", "shopfront", "shopfront/payments/client.py", None),
    ("command line arguments", "tidepool", "tidepool/cli.py", "main"),
    ("dry run without executing", "tidepool", "tidepool/cli.py", "main"),
    ("load a pipeline definition from YAML", "tidepool", "tidepool/pipeline.py", "load_pipeline"),
    ("run transforms in order", "tidepool", "tidepool/pipeline.py", "run_pipeline"),
    ("how are plugins discovered", "tidepool", "tidepool/plugins.py", "find_plugin"),
    ("entry point group for steps", "tidepool", "tidepool/plugins.py", "find_plugin"),
    ("read a CSV file", "tidepool", "tidepool/readers/csv_reader.py", "CsvReader"),
    ("follow next page links of an API", "tidepool", "tidepool/readers/http_reader.py", "HttpReader"),
    ("parse timestamps to UTC", "tidepool", "tidepool/transforms/dates.py", "parse_timestamp"),
    ("epoch seconds", "tidepool", "tidepool/transforms/dates.py", "parse_timestamp"),
    ("remove duplicate records", "tidepool", "tidepool/transforms/dedupe.py", "DropDuplicates"),
    ("validate records against a JSON schema", "tidepool", "tidepool/transforms/validate.py", "ValidateSchema"),
    ("upload compressed batches to S3", "tidepool", "tidepool/sinks/s3_sink.py", "S3Sink"),
    ("gzip json lines", "tidepool", "tidepool/sinks/s3_sink.py", "S3Sink"),
    ("bulk load into postgres with COPY", "tidepool", "tidepool/sinks/postgres_sink.py", "PostgresSink"),
    ("cron schedule", "tidepool", "tidepool/scheduler.py", "run_on_schedule"),
    ("run a pipeline every hour", "tidepool", "README.md", None),
    ("sha256 of a file", "tidepool", "tidepool/checksum.py", "file_sha256"),
    ("prometheus counters", "tidepool", "tidepool/metrics.py", None),
    ("how many records were dropped", "tidepool", "tidepool/metrics.py", None),
    ("write a step plugin", "tidepool", "README.md", None),
]
