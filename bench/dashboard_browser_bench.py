"""Benchmark of the repository page in headless Chromium: time from navigation until every chart is drawn.

Run by hand (never as a test), on a database holding a real analysis::

    .venv/bin/python bench/dashboard_browser_bench.py --database sqlite:///$PWD/.coe/dev.db --repository 1 [--rounds 10]

The app serves on loopback (authentication off, as for a local operator),
Chromium comes from the system (``chromium``) and is driven by Playwright.
A chart counts as drawn when the page has set ``data-ready`` on it (its data
fetched and handed to ECharts) and two animation frames have passed. The
figure is ``performance.now()`` at that moment: milliseconds since the
navigation started. *Cold*: the first visit after the app started (empty
result and chart caches) in a fresh browser context (no HTTP cache).
*Warm server*: the caches filled, each visit in a fresh context (assets
downloaded again). *Warm*: a repeat visit in the same context (assets from
the browser's cache).
"""
from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard_bench import build_app  # noqa: E402

#: Every chart of the page carries data-ready once drawn (see webapp/static/dashboard.js).
ALL_DRAWN = "[...document.querySelectorAll('.chart[data-src]')].every(e => e.dataset.ready)"
AFTER_PAINT = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now()))))"


def serve(url: str) -> tuple[Any, Any, str]:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the figures
    app = build_app(url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, f"http://127.0.0.1:{server.server_port}"


def drawn_after(page: Any, address: str) -> tuple[float, int]:
    """Milliseconds from navigation until every chart is drawn, and how many charts there are."""
    page.goto(address)
    page.wait_for_function(ALL_DRAWN, timeout=60_000)
    elapsed = page.evaluate(AFTER_PAINT)
    errors = page.evaluate("[...document.querySelectorAll('.chart[data-src]')].filter(e => e.dataset.ready === 'error').length")
    if errors:
        raise SystemExit(f"{errors} chart(s) could not load")
    return elapsed, page.evaluate("document.querySelectorAll('.chart[data-src]').length")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="URL of a database holding a real analysis")
    parser.add_argument("--repository", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--width", type=int, default=1920)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        raise SystemExit("no chromium on this machine (apt-get install chromium)")
    path = f"/dashboard/repositories/{args.repository}"
    viewport = {"width": args.width, "height": 1000}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        cold = []
        for _ in range(max(1, args.rounds // 2)):
            app, server, base = serve(args.database)
            context = browser.new_context(viewport=viewport)
            cold.append(drawn_after(context.new_page(), base + path)[0])
            context.close()
            server.shutdown()
            app.extensions["coe"].shutdown()
        app, server, base = serve(args.database)
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        _elapsed, count = drawn_after(page, base + path)
        warm = [drawn_after(page, base + path)[0] for _ in range(args.rounds)]
        context.close()
        fresh = []
        for _ in range(args.rounds):
            context = browser.new_context(viewport=viewport)
            fresh.append(drawn_after(context.new_page(), base + path)[0])
            context.close()
        server.shutdown()
        app.extensions["coe"].shutdown()
        browser.close()
    print(f"repository page {args.repository} at {args.width} px: {count} charts, ms from navigation until all are drawn")
    for label, values in (("cold (fresh app, fresh context)", cold), ("warm server, fresh context", fresh), ("warm (repeat visit)", warm)):
        print(f"  {label:34s} median {statistics.median(values):7.1f} ms, worst {max(values):7.1f} ms over {len(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
