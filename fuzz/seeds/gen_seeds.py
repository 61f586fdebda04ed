#!/usr/bin/env python3
"""Writes the seed corpora: fuzz/seeds/verify_token/ and fuzz/seeds/verify_structured/.

verify_token seeds are tokens: valid HS256 and ES256 access/refresh tokens (exp in 2096,
so they verify against the system clock) and near-valid ones (bad signature, alg none,
crit, duplicate member, padded base64, oversized, ...).

verify_structured seeds are byte strings in the format read by
fuzz_targets/verify_structured.rs (one byte per decision; missing bytes read as zero, so
the empty input is a valid access token):

    cfg | header-doc | payload-doc | sig_mode [len raw]
    doc  = flags [u16 len raw-bytes | ops (op name [value])* ] [trailer]
    name = k (<0x80: KEYS[k % 24]) | k>=0x80 len bytes
    value = type params...

Needs only the standard library, plus `cryptography` for the ES256 seeds (skipped
without it). Run from anywhere: python3 fuzz/seeds/gen_seeds.py
"""
import base64
import hashlib
import hmac
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = b"fuzz-secret-fuzz-secret-fuzz-secret-0123"
P256 = os.path.join(HERE, "..", "..", "auth-core", "tests", "data", "keys", "p256.pem")
IAT, EXP = 1_700_000_000, 4_000_000_000


def b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def j(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def hs256(header: bytes, payload: bytes, secret: bytes = SECRET) -> str:
    si = f"{b64(header)}.{b64(payload)}"
    sig = hmac.new(secret, si.encode(), hashlib.sha256).digest()
    return f"{si}.{b64(sig)}"


def es256(header: bytes, payload: bytes):
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    except ImportError:
        return None
    with open(P256, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    si = f"{b64(header)}.{b64(payload)}"
    r, s = decode_dss_signature(key.sign(si.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{si}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def claims(**over):
    c = {"sub": "user-1", "iat": IAT, "exp": EXP, "jti": "0123456789abcdef0123456789abcdef",
         "type": "access"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


HS = j({"alg": "HS256", "typ": "JWT"})
ES = j({"alg": "ES256", "typ": "JWT"})


def token_seeds():
    good = hs256(HS, j(claims(scope="read write")))
    seeds = {
        "hs256_access": good,
        "hs256_refresh": hs256(HS, j(claims(type="refresh", fam="f1"))),
        "hs256_iss_aud_extra": hs256(HS, j(claims(iss="fuzz", aud=["api", "web"], role="admin"))),
        "hs256_float_dates": hs256(HS, j(claims(iat=1700000000.5, exp=4000000000.25))),
        "hs256_at_jwt": hs256(j({"alg": "HS256", "typ": "at+jwt"}), j(claims())),
        "hs256_bad_sig": hs256(HS, j(claims()), b"x" * 40),
        "hs256_expired": hs256(HS, j(claims(exp=1_700_000_100))),
        "hs256_no_exp": hs256(HS, j(claims(exp=None))),
        "hs256_dup_sub": hs256(HS, b'{"sub":"a","s\\u0075b":"b","iat":1700000000,"exp":4000000000,"jti":"j","type":"access"}'),
        "hs256_crit": hs256(j({"alg": "HS256", "crit": ["exp"]}), j(claims())),
        "hs256_kid": hs256(j({"alg": "HS256", "kid": "k1"}), j(claims())),
        "alg_none": f"{b64(j({'alg': 'none'}))}.{b64(j(claims()))}.",
        "padded": good.split(".")[0] + "==." + ".".join(good.split(".")[1:]),
        "jwe_five_parts": "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aGVsbG8.d29ybGQ.dGFn",
        "oversized": hs256(HS, j(claims(pad="x" * 6200))),
    }
    es = es256(ES, j(claims()))
    if es:
        seeds["es256_access"] = es
        seeds["es256_confused_hs"] = hs256(ES, j(claims()))
    return {k: v.encode() for k, v in seeds.items()}


def structured_seeds():
    u16 = lambda n: struct.pack("<H", n)
    raw_header = j({"alg": "HS256"})
    return {
        "valid_access": b"",
        "valid_access_iss_aud": b"\x01",
        "valid_refresh": b"\x02",
        # refresh, payload: set exp = now + 100 (value type 14: now + i8)
        "refresh_exp_soon": b"\x02\x00\x00\x00\x01\x00\x02\x0e\x64",
        # access, payload: append a second "sub" (duplicate member)
        "dup_sub": b"\x00\x00\x00\x00\x01\x01\x00\x08\x02",
        # access, payload: set sub with its name spelt \u0073ub (replaces: still valid)
        "escaped_sub": b"\x00\x00\x00\x00\x01\x03\x00\x08\x02",
        # header: set crit = ["exp"-ish strings] (value type 15)
        "header_crit": b"\x00\x00\x01\x00\x0a\x0f\x01\x00",
        # header in raw mode: {"alg":"HS256"}
        "raw_header": b"\x00\x02" + u16(len(raw_header)) + raw_header,
        # payload: exp as a float near now + 1000 (type 6: now + i16 + frac/256)
        "float_exp": b"\x00\x00\x00\x00\x01\x00\x02\x06" + u16(1000) + b"\x80",
        # payload: scope = "read write" (known string 16), pretty printed (style 2)
        "scope_pretty": b"\x00\x00\x00\x08\x01\x00\x08\x08\x10",
        # payload: nested object under "role" (type 12, 2 members)
        "nested_extra": b"\x00\x00\x00\x00\x01\x00\x15\x0c\x02\x00\x16\x03\x00\x00\x00\x17\x0b\x02\x01\x02",
        # signature with the wrong secret
        "wrong_secret": b"\x00\x00\x00\x00\x00\x01",
        # iss/aud configured, aud as a list ["x", "api"] (type 15)
        "aud_list": b"\x01\x00\x00\x00\x01\x00\x07\x0f\x02\x15\x03",
    }


def write(target, seeds):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    write("verify_token", token_seeds())
    write("verify_structured", structured_seeds())
