"""Write the hawkapi-auth -> auth-core interop vectors.

Run with the interop venv's python (see scripts/interop-venv.sh):

    .venv-interop/bin/python auth-core/tests/interop/generate_vectors.py [OUTPUT]

OUTPUT defaults to auth-core/tests/data/interop/python-vectors.json. Every token is
issued by hawkapi-auth's TokenIssuer and immediately verified by it again, so each vector
records what hawkapi-auth itself says about it (`python`) next to what auth-core must
say (`rust`). The two differ only where a vector's `note` explains why. The structure
of the file is deterministic; tokens, jti, iat/exp and salts change on every run.
"""

from __future__ import annotations

import base64
import datetime
import importlib.metadata
import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any

import argon2
import argon2.low_level
import jwt
from hawkapi_auth import (
    JWTConfig,
    TokenError,
    TokenIssuer,
    hash_password,
    needs_rehash,
    verify_password,
)

HERE = Path(__file__).resolve().parent
CORE = HERE.parent.parent
KEYS = CORE / "tests" / "data" / "keys"
DEFAULT_OUTPUT = CORE / "tests" / "data" / "interop" / "python-vectors.json"

# Test-only secrets. hawkapi-auth and auth-core both use an HMAC secret as its UTF-8
# bytes; HS256 needs >= 32 bytes (auth-core also needs >= 48 for HS384, >= 64 for HS512).
HS256_SECRET = "hawkapi-auth interop test secret, not for production!"
UNICODE_SECRET = "sëcret 🔑 日本語 — an interop test secret of more than 32 bytes"
WRONG_SECRET = "another interop test secret of well over thirty-two bytes"
HS512_SECRET = "interop HS384/HS512 test secret: sixty-four bytes or more, please!!"

ISSUER = "https://auth.interop.example"
AUDIENCE = "interop-api"
AUDIENCES = ["interop-api", "interop-web"]

# Long enough that the committed vectors stay valid for decades.
TWENTY_YEARS = 20 * 365 * 24 * 3600
EXPIRED_TTL = -3600  # an hour in the past: beyond any leeway

SUBJECT = "user-42"


def pem(name: str) -> str:
    return (KEYS / name).read_text()


def cfg(
    algorithm: str = "HS256",
    *,
    secret: str | None = None,
    private_key_file: str | None = None,
    public_key_file: str | None = None,
    issuer: str | None = None,
    audience: str | list[str] | None = None,
) -> dict[str, Any]:
    """A configuration, as recorded in the vectors (key files are in tests/data/keys)."""
    if algorithm.startswith("HS") and secret is None:
        secret = HS256_SECRET
    return {
        "algorithm": algorithm,
        "secret": secret,
        "private_key_file": private_key_file,
        "public_key_file": public_key_file,
        "issuer": issuer,
        "audience": audience,
    }


RS = {"algorithm": "RS256", "private_key_file": "rsa2048.pem", "public_key_file": "rsa2048.pub.pem"}
ES = {"algorithm": "ES256", "private_key_file": "p256.pem", "public_key_file": "p256.pub.pem"}
BASE_CONFIGS = {
    "hs256": {"algorithm": "HS256"},
    "rs256": RS,
    "es256": ES,
}


def issuer_for(c: dict[str, Any], ttl: int = TWENTY_YEARS) -> TokenIssuer:
    return TokenIssuer(
        config=JWTConfig(
            secret=c["secret"] or "",
            algorithm=c["algorithm"],
            access_ttl_seconds=ttl,
            refresh_ttl_seconds=ttl,
            issuer=c["issuer"],
            audience=c["audience"],
            private_key=pem(c["private_key_file"]) if c["private_key_file"] else "",
            public_key=pem(c["public_key_file"]) if c["public_key_file"] else "",
        )
    )


def hawkapi_scopes(claims: dict[str, Any]) -> list[str]:
    """The scopes hawkapi-auth's `requires_scopes` grants (copied from _deps.py, where
    the rule lives inside a request-bound closure), sorted."""
    if "scope" in claims:
        raw = claims["scope"]
    elif "scopes" in claims:
        raw = claims["scopes"]
    else:
        raw = []
    granted: set[str] = set()
    if isinstance(raw, str):
        granted = set(raw.split())
    elif isinstance(raw, list):
        granted = {s for s in raw if isinstance(s, str)}
    return sorted(granted)


def python_verdict(verify: dict[str, Any], verify_as: str, token: str) -> dict[str, Any]:
    issuer = issuer_for(verify)
    try:
        if verify_as == "access":
            claims = issuer.verify_access(token)
        else:
            claims = issuer.verify_refresh(token)
    except TokenError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "claims": claims, "scopes": hawkapi_scopes(claims)}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def tamper_payload(token: str) -> str:
    """Same header and signature, payload re-encoded with `sub` changed."""
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "admin"
    new_payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{header}.{new_payload}.{signature}"


def tamper_signature(token: str) -> str:
    """Same header and payload, first signature byte flipped (still canonical base64url)."""
    header, payload, signature = token.split(".")
    sig = bytearray(b64url_decode(signature))
    sig[0] ^= 0x01
    return f"{header}.{payload}.{b64url(bytes(sig))}"


VECTORS: list[dict[str, Any]] = []


def vector(
    vid: str,
    description: str,
    *,
    issue: dict[str, Any],
    kind: str = "access",
    subject: str = SUBJECT,
    extra: dict[str, Any] | None = None,
    ttl: int = TWENTY_YEARS,
    verify: dict[str, Any] | None = None,
    verify_as: str | None = None,
    mutate: Any = None,
    rust_error: str | None = None,
    python_accepts: bool | None = None,
    note: str | None = None,
) -> None:
    """Issue a token with hawkapi-auth, check it with hawkapi-auth, record both verdicts.

    `rust_error` is the auth-core `TokenError` expected (None: accepted with the same
    claims as hawkapi-auth). `python_accepts` defaults to `rust_error is None`; the
    generator refuses to write a vector where hawkapi-auth disagrees with it.
    """
    extra = extra or {}
    verify = verify or issue
    verify_as = verify_as or kind
    issuer = issuer_for(issue, ttl)
    if kind == "access":
        token = issuer.issue_access(subject, **extra)
    else:
        token = issuer.issue_refresh(subject, **extra)
    if mutate is not None:
        token = mutate(token)
    py = python_verdict(verify, verify_as, token)
    want_py = (rust_error is None) if python_accepts is None else python_accepts
    if py["ok"] != want_py:
        raise SystemExit(f"{vid}: hawkapi-auth verdict {py} but expected ok={want_py}")
    VECTORS.append(
        {
            "id": vid,
            "description": description,
            "issue": {**issue, "kind": kind, "ttl_seconds": ttl},
            "subject": subject,
            "extra_claims": extra,
            "token": token,
            "verify": verify,
            "verify_as": verify_as,
            "python": py,
            "rust": {"ok": True} if rust_error is None else {"ok": False, "error": rust_error},
            **({"note": note} if note else {}),
        }
    )


EXTRAS = {
    "role": "admin",
    "scope": "read write  admin",
    "org": {"id": 7, "name": "Acme", "tags": ["a", "b"], "parent": None, "active": True},
    "display_name": "Zoë Ångström 🔑 日本語",
    "ünïcødé_kéy": "value",
    "count": 42,
    "negative": -7,
    "ratio": 3.25,
    "big": 9007199254740993,
    "admin": False,
    "verified": True,
    "nothing": None,
    "empty_list": [],
    "empty_object": {},
}


def build_token_vectors() -> None:
    for name, base in BASE_CONFIGS.items():
        plain = cfg(**base)
        with_iss_aud = cfg(**base, issuer=ISSUER, audience=AUDIENCE)
        with_aud_list = cfg(**base, issuer=ISSUER, audience=AUDIENCES)
        for kind in ("access", "refresh"):
            vector(f"{name}-{kind}-plain", f"{kind} token, no extra claims", issue=plain, kind=kind)
            vector(
                f"{name}-{kind}-extras",
                f"{kind} token with extra claims of every JSON type",
                issue=plain,
                kind=kind,
                extra=EXTRAS,
            )
            vector(
                f"{name}-{kind}-iss-aud",
                f"{kind} token with issuer and a single audience",
                issue=with_iss_aud,
                kind=kind,
                extra={"role": "user"},
            )
            vector(
                f"{name}-{kind}-iss-aud-list",
                f"{kind} token with issuer and a list audience",
                issue=with_aud_list,
                kind=kind,
                extra={"scopes": ["read", "write"]},
            )

    # Scopes, read the way requires_scopes reads them.
    hs = cfg()
    vector("hs256-scopes-list", "`scopes` as a list", issue=hs, extra={"scopes": ["read", "write", 3, None]})
    vector("hs256-scope-list", "`scope` as a list", issue=hs, extra={"scope": ["a", "b"]})
    vector(
        "hs256-scope-wins",
        "`scope` (even empty) wins over `scopes`",
        issue=hs,
        extra={"scope": "", "scopes": ["admin"]},
    )
    vector(
        "hs256-scope-whitespace",
        "`scope` split on tabs, newlines and Unicode spaces",
        issue=hs,
        extra={"scope": " read\twrite\nadmin\r\x0bx\x0cy\u00a0z\u2003w\u3000v\u2028u "},
    )
    vector(
        "hs256-scope-separator-controls",
        "`scope` containing ASCII information separators U+001C..U+001F",
        issue=hs,
        extra={"scope": "read\x1cwrite\x1dadmin\x1eaudit\x1fops"},
        note="known incompatibility: hawkapi-auth (str.split) splits on U+001C..U+001F, "
        "auth-core (split_whitespace) does not; listed in KNOWN_SCOPE_DIVERGENCES in "
        "tests/interop.rs",
    )

    # Subjects and secrets.
    vector("hs256-unicode-subject", "non-ASCII subject", issue=hs, subject="usér-Ωμέγα-😀")
    vector(
        "hs256-unicode-secret",
        "HMAC secret with non-ASCII characters (used as its UTF-8 bytes)",
        issue=cfg(secret=UNICODE_SECRET),
    )

    # Audience matching between different shapes of configuration.
    vector(
        "hs256-aud-list-verify-one",
        "token audience list, verifier configured with one of them",
        issue=cfg(audience=AUDIENCES),
        verify=cfg(audience="interop-web"),
    )
    vector(
        "hs256-aud-one-verify-list",
        "token audience string, verifier configured with a list containing it",
        issue=cfg(audience="interop-web"),
        verify=cfg(audience=["other", "interop-web"]),
    )

    # A custom claim that auth-core treats as its refresh-family claim.
    vector(
        "hs256-extra-fam-string",
        "extra claim named `fam` (auth-core's refresh-family claim) holding a string",
        issue=hs,
        extra={"fam": "family-1"},
    )
    vector(
        "hs256-extra-fam-number",
        "extra claim named `fam` holding a number",
        issue=hs,
        extra={"fam": 5},
        rust_error="InvalidClaim:fam",
        python_accepts=True,
        note="auth-core reserves `fam` (refresh-token family) and requires a non-empty string; "
        "hawkapi-auth treats `fam` as an ordinary claim",
    )

    # Other algorithms both sides support.
    vector("hs384-access-plain", "HS384", issue=cfg("HS384", secret=HS512_SECRET))
    vector("hs512-access-plain", "HS512", issue=cfg("HS512", secret=HS512_SECRET))
    for rsa_alg in ("RS384", "RS512", "PS256", "PS384", "PS512"):
        vector(
            f"{rsa_alg.lower()}-access-plain",
            rsa_alg,
            issue=cfg(rsa_alg, private_key_file="rsa2048.pem", public_key_file="rsa2048.pub.pem"),
        )
    vector(
        "es384-access-plain",
        "ES384",
        issue=cfg("ES384", private_key_file="p384.pem", public_key_file="p384.pub.pem"),
    )
    vector(
        "eddsa-access-plain",
        "EdDSA (Ed25519)",
        issue=cfg("EdDSA", private_key_file="ed25519.pem", public_key_file="ed25519.pub.pem"),
    )

    # Refusals.
    for name, base in BASE_CONFIGS.items():
        plain = cfg(**base)
        vector(
            f"{name}-expired-access",
            "access token that expired an hour ago",
            issue=plain,
            ttl=EXPIRED_TTL,
            rust_error="Expired",
        )
        vector(
            f"{name}-expired-refresh",
            "refresh token that expired an hour ago",
            issue=plain,
            kind="refresh",
            ttl=EXPIRED_TTL,
            rust_error="Expired",
        )
        vector(
            f"{name}-tampered-payload",
            "payload changed (`sub` -> admin) after signing",
            issue=plain,
            mutate=tamper_payload,
            rust_error="InvalidSignature",
        )
        vector(
            f"{name}-tampered-signature",
            "one signature bit flipped",
            issue=plain,
            mutate=tamper_signature,
            rust_error="InvalidSignature",
        )
        vector(
            f"{name}-refresh-as-access",
            "refresh token presented to verify_access",
            issue=plain,
            kind="refresh",
            verify_as="access",
            rust_error="WrongType:access",
        )
        vector(
            f"{name}-access-as-refresh",
            "access token presented to verify_refresh",
            issue=plain,
            kind="access",
            verify_as="refresh",
            rust_error="WrongType:refresh",
        )
    vector(
        "hs256-wrong-secret",
        "signed with another secret",
        issue=cfg(secret=WRONG_SECRET),
        verify=cfg(),
        rust_error="InvalidSignature",
    )
    vector(
        "rs256-wrong-key",
        "signed with another RSA key",
        issue=cfg("RS256", private_key_file="rsa2048-other.pem", public_key_file="rsa2048-other.pub.pem"),
        verify=cfg(**RS),
        rust_error="InvalidSignature",
    )
    vector(
        "es256-wrong-key",
        "signed with another P-256 key",
        issue=cfg("ES256", private_key_file="p256-other.pem", public_key_file="p256-other.pub.pem"),
        verify=cfg(**ES),
        rust_error="InvalidSignature",
    )
    vector(
        "hs256-alg-mismatch",
        "HS256 token presented to an RS256 verifier",
        issue=cfg(),
        verify=cfg(**RS),
        rust_error="AlgorithmMismatch",
    )
    vector(
        "hs256-wrong-issuer",
        "issuer differs from the configured one",
        issue=cfg(issuer="https://evil.example"),
        verify=cfg(issuer=ISSUER),
        rust_error="InvalidIssuer",
    )
    vector(
        "hs256-missing-issuer",
        "no `iss` while the verifier requires one",
        issue=cfg(),
        verify=cfg(issuer=ISSUER),
        rust_error="MissingClaim:iss",
    )
    vector(
        "hs256-wrong-audience",
        "audience differs from the configured one",
        issue=cfg(audience="other-api"),
        verify=cfg(audience=AUDIENCE),
        rust_error="InvalidAudience",
    )
    vector(
        "hs256-wrong-audience-list",
        "no audience of the token's list is configured",
        issue=cfg(audience=["other-api", "other-web"]),
        verify=cfg(audience=AUDIENCES),
        rust_error="InvalidAudience",
    )
    vector(
        "hs256-missing-audience",
        "no `aud` while the verifier requires one",
        issue=cfg(),
        verify=cfg(audience=AUDIENCE),
        rust_error="MissingClaim:aud",
    )
    vector(
        "hs256-aud-without-configured-audience",
        "token has `aud`, verifier has no audience configured",
        issue=cfg(audience=AUDIENCE),
        verify=cfg(),
        rust_error="InvalidAudience",
        python_accepts=True,
        note="by design: hawkapi-auth (PyJWT with verify_aud=False) skips aud checking when no "
        "audience is configured; auth-core refuses a token with an aud it cannot check "
        "(RFC 7519 4.1.3)",
    )


PASSWORDS = {
    "ascii": "correct horse battery staple",
    "unicode": "pässwörd 🔑 日本語 Ωμέγα",
    "empty": "",
    "long-200": ("Tr0ub4dor&3 " * 17)[:200],
}


def password_entry(
    pid: str,
    description: str,
    password: str,
    hashed: str,
    *,
    rust_needs_rehash: bool | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    wrong = password + "x" if password else "x"
    py_needs = needs_rehash(hashed)
    entry = {
        "id": pid,
        "description": description,
        "password": password,
        "wrong_password": wrong,
        "hash": hashed,
        "python": {
            "verify": verify_password(password, hashed),
            "verify_wrong": verify_password(wrong, hashed),
            "needs_rehash": py_needs,
        },
        "rust": {"needs_rehash": py_needs if rust_needs_rehash is None else rust_needs_rehash},
    }
    if note:
        entry["note"] = note
    return entry


def build_password_vectors() -> list[dict[str, Any]]:
    out = []
    for pid, pw in PASSWORDS.items():
        h = hash_password(pw)
        assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$"), h
        out.append(password_entry(f"hawkapi-{pid}", f"hawkapi_auth.hash_password, {pid} password", pw, h))
        assert out[-1]["python"] == {"verify": True, "verify_wrong": False, "needs_rehash": False}

    def other(pid: str, description: str, hasher: argon2.PasswordHasher) -> None:
        pw = "correct horse battery staple"
        out.append(password_entry(pid, description, pw, hasher.hash(pw)))
        assert out[-1]["python"] == {"verify": True, "verify_wrong": False, "needs_rehash": True}

    other(
        "argon2id-owasp-minimum",
        "argon2-cffi argon2id with the OWASP minimum (m=19456, t=2, p=1)",
        argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, salt_len=16),
    )
    other(
        "argon2i-hawkapi-params",
        "argon2-cffi argon2i with hawkapi-auth's m/t/p (only the type differs)",
        argon2.PasswordHasher(
            time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16, type=argon2.Type.I
        ),
    )
    other(
        "argon2d-small",
        "argon2-cffi argon2d, small parameters",
        argon2.PasswordHasher(
            time_cost=1, memory_cost=1024, parallelism=1, hash_len=32, salt_len=16, type=argon2.Type.D
        ),
    )
    other(
        "argon2id-long-salt-and-hash",
        "argon2-cffi argon2id with hawkapi-auth's m/t/p but a 32-byte salt and 64-byte hash",
        argon2.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, hash_len=64, salt_len=32),
    )
    pw = "correct horse battery staple"
    v16 = argon2.low_level.hash_secret(
        pw.encode(), b"0123456789abcdef", time_cost=1, memory_cost=1024, parallelism=1,
        hash_len=32, type=argon2.Type.ID, version=0x10,
    ).decode()
    out.append(password_entry("argon2id-version-16", "argon2 version 1.0 (v=16) hash", pw, v16))
    assert out[-1]["python"] == {"verify": True, "verify_wrong": False, "needs_rehash": True}

    for pid, description, h in [
        ("bcrypt-foreign", "a bcrypt hash", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"),
        ("malformed", "not a hash at all", "not-a-password-hash"),
    ]:
        out.append(
            password_entry(
                pid,
                description,
                pw,
                h,
                rust_needs_rehash=True,
                note="hawkapi-auth's needs_rehash swallows the InvalidHash error and says False; "
                "auth-core says True for any hash it cannot read (verify is False on both sides)",
            )
        )
        assert out[-1]["python"] == {"verify": False, "verify_wrong": False, "needs_rehash": False}
    return out


def main() -> None:
    logging.getLogger("hawkapi_auth").setLevel(logging.ERROR)
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT
    build_token_vectors()
    passwords = build_password_vectors()
    versions = {
        name: importlib.metadata.version(name)
        for name in ("hawkapi-auth", "PyJWT", "argon2-cffi", "argon2-cffi-bindings", "cryptography")
    }
    doc = {
        "format": 1,
        "about": "Tokens and password hashes made by the Python hawkapi-auth, checked by "
        "auth-core's tests/interop.rs. Made by tests/interop/generate_vectors.py; see "
        "tests/interop/README.md. `python` is hawkapi-auth's own verdict on each item with the "
        "`verify` configuration; `rust` is what auth-core must answer. Key files are in "
        "tests/data/keys. Test-only secrets and keys: never use them anywhere else.",
        "generated_at": datetime.datetime.fromtimestamp(int(time.time()), datetime.UTC).isoformat(),
        "generated_with": {"python": platform.python_version(), **versions, "jwt_module": jwt.__version__},
        "tokens": VECTORS,
        "passwords": passwords,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(VECTORS)} token vectors and {len(passwords)} password vectors to {output}")


if __name__ == "__main__":
    main()
