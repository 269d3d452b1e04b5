"""``exifq keys create|list|revoke``: API keys managed in Redis (``common.keys``).

Run where ``REDIS_URL`` reaches the service's Redis (on Kubernetes:
``kubectl exec deploy/exifq-api -- exifq keys create``). ``create`` prints
the key once, on stdout; only its hash is stored. ``revoke`` holds on every
API process from their next request.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from common.clock import isoformat

if TYPE_CHECKING:
    from common.settings import Settings


def _rate_limit(text: str) -> str:
    from common.keys import check_rate_limit

    try:
        return check_rate_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(commands: argparse._SubParsersAction) -> None:
    from exifq.cli.texts import add_command

    keys = add_command(
        commands,
        "keys",
        summary="create, list and revoke API keys (in Redis)",
        description=[
            "API keys managed in the service's Redis (REDIS_URL): create prints the key once, "
            "on stdout; only its hash is stored. A revoked key is refused by every API process "
            "from its next request. Keys in API_KEYS keep working beside these.",
        ],
        example_lines=(
            "exifq keys create --name mobile-app --rate-limit 600/minute",
            "exifq keys list",
            "exifq keys revoke KEY_ID",
        ),
    )
    actions = keys.add_subparsers(
        dest="action",
        required=True,
        metavar="ACTION",
        help="create: make a key; list: the keys; revoke: delete one",
    )
    create = actions.add_parser("create", help="make a key and print it (once)")
    create.add_argument("--name", default="", help="what the key is for (shown by list)")
    create.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default="",
        metavar="LIMIT",
        help="this key's limit instead of RATE_LIMIT, e.g. 600/minute or 10/second;10000/day",
    )
    create.add_argument("--json", action="store_true", help="print the key as a JSON object")
    listing = actions.add_parser("list", help="the managed keys (never the keys themselves)")
    listing.add_argument("--json", action="store_true", help="JSON Lines, one key per line")
    revoke = actions.add_parser("revoke", help="delete a key: refused from the next request on")
    revoke.add_argument("key_id", metavar="KEY_ID", help="the id that create and list show")


def _row(key) -> dict:
    return {
        "id": key.id,
        "name": key.name,
        "rateLimit": key.rate_limit or None,
        "createdAt": isoformat(key.created_at),
    }


def run(args: argparse.Namespace, settings: Settings) -> int:
    from common.keys import KeyStore
    from common.redis_client import redis_client

    store = KeyStore(redis_client(settings), settings.REDIS_KEY_PREFIX)
    if args.action == "create":
        key, secret = store.create(args.name, args.rate_limit)
        if args.json:
            print(json.dumps({**_row(key), "key": secret}))
        else:
            print(secret)
            limit = key.rate_limit or "RATE_LIMIT"
            print(f"{key.id}: {key.name or '(no name)'}, limit {limit}", file=sys.stderr)
            print("keep the key now: it is stored only as a hash", file=sys.stderr)
        return 0
    if args.action == "list":
        for key in store.list():
            row = _row(key)
            if args.json:
                print(json.dumps(row))
            else:
                limit = row["rateLimit"] or "-"
                print(f"{key.id}\t{row['createdAt']}\t{limit}\t{key.name}")
        return 0
    if store.revoke(args.key_id):
        print(f"revoked {args.key_id}", file=sys.stderr)
        return 0
    print(f"exifq: no key {args.key_id}", file=sys.stderr)
    return 1
