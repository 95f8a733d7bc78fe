#!/usr/bin/env python3
"""A partner's incremental sync of Siaga TPS health incidents (standard library only).

    SIAGA_API_URL=http://127.0.0.1:5000 SIAGA_API_TOKEN=siaga_... python examples/partner_client.py

The first run fetches every incident (or those changed since --since, ISO 8601 with a zone), page
by page along the Link headers. The cursor after the last row is kept in a small state file; the
next run asks only for what changed after it. Each incident fetched is printed as one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


def get(url: str, token: str) -> tuple[dict, dict]:
    """GET JSON with the token; waits and retries on 429 (Retry-After) and network errors."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    for attempt in range(5):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response), dict(response.headers)
        except urllib.error.HTTPError as exc:
            if exc.code == 429 and attempt < 4:
                time.sleep(int(exc.headers.get("Retry-After", "1")))
                continue
            body = exc.read().decode("utf-8", "replace")
            raise SystemExit(f"HTTP {exc.code} from {url}: {body}")
        except urllib.error.URLError:
            if attempt == 4:
                raise
            time.sleep(2 ** attempt)
    raise SystemExit("gave up")


def next_link(headers: dict) -> str | None:
    link = headers.get("Link") or headers.get("link")
    if link and 'rel="next"' in link:
        return link[link.index("<") + 1:link.index(">")]
    return None


def sync(base_url: str, token: str, state_path: Path, since: str | None, limit: int) -> list[dict]:
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    params = {"limit": str(limit)}
    if state.get("cursor"):
        params["cursor"] = state["cursor"]
    elif since:
        params["updated_since"] = since
    url = f"{base_url.rstrip('/')}/api/v1/incidents?{urllib.parse.urlencode(params)}"
    fetched = []
    while url:
        body, headers = get(url, token)
        fetched += body["items"]
        if body.get("sync_cursor"):
            state["cursor"] = body["sync_cursor"]
        url = next_link(headers)
    state_path.write_text(json.dumps(state))
    return fetched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SIAGA_API_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--token", default=os.environ.get("SIAGA_API_TOKEN"))
    parser.add_argument("--state", default=os.environ.get("SIAGA_SYNC_STATE", "siaga-sync-state.json"))
    parser.add_argument("--since", help="first run only: incidents changed at or after this time")
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set SIAGA_API_TOKEN")
    incidents = sync(args.url, args.token, Path(args.state), args.since, args.limit)
    for incident in incidents:
        print(json.dumps(incident, ensure_ascii=False))
    print(f"{len(incidents)} incident(s) fetched", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
