"""The baseline for bench/http.sh: hawkapi-auth 0.2.x on HawkAPI 0.2.0, mirroring the
Rust quickstart's three benchmarked routes (examples/quickstart/src/routes.rs):

    GET /health  -> {"status": "ok"}                                  open
    GET /me      -> {"user_id": sub}                                  Depends(requires_user)
    GET /admin   -> {"message": "Hello, admin", "user_id": sub}       requires_scopes("admin")

Tokens are checked with the same HS256 secret as the quickstart (ROCKET_AUTH_SECRET), so
the access token the quickstart issued at /login opens /me and /admin here too. /admin
verifies the token once (the claims come from the scope dependency), as the Rust route
does; hawkapi-auth's README shape (`dependencies=[...]` plus `Depends(requires_user)`)
would verify it twice and be slower.

Served by bench/http.sh with Granian, one worker, ASGI, uvloop (HawkAPI's own benchmark
setup):

    granian --interface asgi --workers 1 --loop uvloop --host 127.0.0.1 --port 8001 app:app
"""

from __future__ import annotations

import os
from typing import Any

from hawkapi import Depends, HawkAPI
from hawkapi_auth import JWTConfig, init_auth, requires_scopes, requires_user

SECRET = os.environ["ROCKET_AUTH_SECRET"]
ACCESS_TTL = int(os.environ.get("ROCKET_AUTH_ACCESS_TTL", "900"))

app = HawkAPI(title="hawkapi-auth bench baseline")
init_auth(app, config=JWTConfig(secret=SECRET, access_ttl_seconds=ACCESS_TTL))

require_admin = requires_scopes("admin")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/me")
async def me(user_id: str = Depends(requires_user)) -> dict[str, str]:
    return {"user_id": user_id}


@app.get("/admin")
async def admin(claims: dict[str, Any] = Depends(require_admin)) -> dict[str, str]:
    return {"message": "Hello, admin", "user_id": claims["sub"]}
