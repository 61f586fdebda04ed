"""Check tokens and password hashes made by auth-core with hawkapi-auth.

Run by auth-core's tests/interop.rs with the interop venv's python:

    .venv-interop/bin/python auth-core/tests/interop/verify_rust_tokens.py INPUT.json

INPUT (written by the Rust test):

    {"tokens": [{"id": str, "verify_as": "access" | "refresh", "token": str,
                 "config": {"algorithm": str, "secret": str | null,
                            "private_key": PEM | null, "public_key": PEM | null,
                            "issuer": str | null, "audience": str | [str] | null}}],
     "passwords": [{"id": str, "password": str, "wrong_password": str, "hash": str}]}

Prints a JSON report on stdout, one entry per item in input order:

    {"versions": {...},
     "tokens": [{"id", "ok": true, "claims": {...}} | {"id", "ok": false, "error": str}],
     "passwords": [{"id", "verify": bool, "verify_wrong": bool, "needs_rehash": bool}]}

A failure on one item is reported for that item; the exit code is 0 whenever the
report was written (2 for unusable input).
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import platform
import sys
from typing import Any

from hawkapi_auth import (
    JWTConfig,
    TokenError,
    TokenIssuer,
    needs_rehash,
    verify_password,
)


def check_token(item: dict[str, Any]) -> dict[str, Any]:
    c = item["config"]
    try:
        issuer = TokenIssuer(
            config=JWTConfig(
                secret=c.get("secret") or "",
                algorithm=c["algorithm"],
                issuer=c.get("issuer"),
                audience=c.get("audience"),
                private_key=c.get("private_key") or "",
                public_key=c.get("public_key") or "",
            )
        )
        if item["verify_as"] == "access":
            claims = issuer.verify_access(item["token"])
        elif item["verify_as"] == "refresh":
            claims = issuer.verify_refresh(item["token"])
        else:
            raise ValueError(f"unknown verify_as {item['verify_as']!r}")
    except TokenError as exc:
        return {"id": item["id"], "ok": False, "error": f"TokenError: {exc}"}
    except Exception as exc:  # noqa: BLE001 - report, don't crash the whole run
        return {"id": item["id"], "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"id": item["id"], "ok": True, "claims": claims}


def check_password(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "verify": verify_password(item["password"], item["hash"]),
        "verify_wrong": verify_password(item["wrong_password"], item["hash"]),
        "needs_rehash": needs_rehash(item["hash"]),
    }


def main() -> int:
    logging.getLogger("hawkapi_auth").setLevel(logging.ERROR)
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} INPUT.json", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"cannot read {sys.argv[1]}: {exc}", file=sys.stderr)
        return 2
    report = {
        "versions": {
            "python": platform.python_version(),
            **{
                name: importlib.metadata.version(name)
                for name in ("hawkapi-auth", "PyJWT", "argon2-cffi", "cryptography")
            },
        },
        "tokens": [check_token(t) for t in doc.get("tokens", [])],
        "passwords": [check_password(p) for p in doc.get("passwords", [])],
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
