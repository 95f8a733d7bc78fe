"""Deployment files whose values are stated elsewhere, rendered from their templates.

    .venv/bin/python deploy/render.py nginx --server-name siaga.example.id \
        --upstream 10.0.0.11:8000 --upstream 10.0.0.12:8000 \
        [--certificate /etc/letsencrypt/live/siaga.example.id/fullchain.pem] \
        [--key /etc/letsencrypt/live/siaga.example.id/privkey.pem] [--log-dir /var/log/nginx] \
        > /etc/nginx/sites-available/siaga
    .venv/bin/python deploy/render.py max-body     # the app's upload cap in bytes (scripts/cluster.sh)

The nginx site's upload cap is the app's largest limit (siaga.config.UPLOAD_LIMIT), read here, never copied.
tests/test_deploy_files.py renders the site and runs `nginx -t` on it.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from siaga.config import UPLOAD_LIMIT  # noqa: E402

NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "siaga.conf.in"


def nginx_site(server_name: str, upstreams: list[str], certificate: str, key: str,
               log_dir: str = "/var/log/nginx") -> str:
    servers = "\n".join(f"    server {u} max_fails=1 fail_timeout=5s;" for u in upstreams)
    values = {"SERVER_NAME": server_name, "UPSTREAM_SERVERS": servers, "TLS_CERTIFICATE": certificate,
              "TLS_CERTIFICATE_KEY": key, "LOG_DIR": log_dir.rstrip("/"), "MAX_BODY_BYTES": str(UPLOAD_LIMIT)}
    text = NGINX_TEMPLATE.read_text()
    missing = set(re.findall(r"@([A-Z_]+)@", text)) - set(values)
    if missing:
        raise SystemExit(f"{NGINX_TEMPLATE}: no value for {', '.join(sorted(missing))}")
    return re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    site = commands.add_parser("nginx", help="the nginx site, on stdout")
    site.add_argument("--server-name", required=True)
    site.add_argument("--upstream", action="append", required=True, help="host:port of an app server (repeat)")
    site.add_argument("--certificate", help="default: /etc/letsencrypt/live/<server name>/fullchain.pem")
    site.add_argument("--key", help="default: /etc/letsencrypt/live/<server name>/privkey.pem")
    site.add_argument("--log-dir", default="/var/log/nginx")
    commands.add_parser("max-body", help="the app's largest request body (siaga.config.UPLOAD_LIMIT) in bytes")
    args = parser.parse_args()
    if args.command == "max-body":
        print(UPLOAD_LIMIT)
        return 0
    live = f"/etc/letsencrypt/live/{args.server_name}"
    sys.stdout.write(nginx_site(args.server_name, args.upstream, args.certificate or f"{live}/fullchain.pem",
                                args.key or f"{live}/privkey.pem", args.log_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
