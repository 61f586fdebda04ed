//! Structured fuzzing of token verification, past the signature check.
//!
//! The input is decoded (through `arbitrary::Unstructured`, one byte at a time, so that
//! `seeds/gen_seeds.py` can write meaningful seeds) into a header and a payload: a JSON
//! object built from a template plus set / duplicate / remove operations with keys drawn
//! from the registered claim and header names, values from a small JSON grammar (numbers
//! near the fixed clock, odd number spellings, known strings, nested arrays and objects,
//! raw string bytes, deep nesting), or raw bytes. Both parts are base64url-encoded (or
//! deliberately mis-encoded) and SIGNED with HMAC-SHA256 under the issuer's secret (or a
//! deliberately wrong signature), then verified by four HS256 issuers on a fixed manual
//! clock: with and without `issuer`/`audience`, as access and as refresh tokens.
//!
//! Oracles (any violation panics, which libFuzzer reports as a crash):
//! - a reference model of the documented rules (see `expected`) must agree with
//!   `verify_access` / `verify_refresh` in both directions: nothing it refuses is
//!   accepted, nothing it accepts is refused;
//! - accepted claims must match the payload (sub, jti, iat, exp, nbf, iss, aud, fam,
//!   extra claims without reserved names);
//! - a token is never both an access and a refresh token;
//! - once `revoke_refresh` succeeds, `verify_refresh` must answer `Revoked`.
//!
//! Environment: `AUTH_FUZZ_DEBUG=1` prints each decoded input, its token and the results.
//! `AUTH_FUZZ_IGNORE_KNOWN=1` skips the revocation oracle in the known
//! leeway-window case (exp <= now < exp + leeway, see README.md) so that a run can go on
//! looking for other bugs.
#![no_main]

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use auth_core::{Claims, Clock, Issuer, IssuerConfig, RESERVED_CLAIMS, TokenError, TokenType};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

const SECRET: &str = "fuzz-secret-fuzz-secret-fuzz-secret-0123";
const WRONG_SECRET: &str = "fuzz-secret-fuzz-secret-fuzz-secret-0124";
const NOW: u64 = 1_750_000_000;
const LEEWAY: u64 = auth_core::DEFAULT_LEEWAY;
const MAX_BYTES: usize = auth_core::DEFAULT_MAX_TOKEN_BYTES;
const ISS: &str = "fuzz";
const AUD: &str = "api";
const MAX_DEPTH: u32 = 6;

const KEYS: [&str; 24] = [
    "sub", "iat", "exp", "nbf", "jti", "type", "iss", "aud", "scope", "scopes", "crit", "kid",
    "alg", "typ", "fam", "b64", "enc", "zip", "jku", "jwk", "x5c", "role", "x", "S\u{fc}b",
];
const STRS: [&str; 22] = [
    "access",
    "refresh",
    "fuzz",
    "api",
    "HS256",
    "HS384",
    "HS512",
    "ES256",
    "none",
    "JWT",
    "at+jwt",
    "application/jwt",
    "application/AT+JWT",
    "APPLICATION/jwt",
    "dpop+jwt",
    "",
    "read write",
    "read\u{1c}admin\u{3000}x",
    " ",
    "fuzz ",
    "0123456789abcdef0123456789abcdef",
    "\u{0}",
];
const NUMS: [&str; 22] = [
    "-0",
    "0",
    "0.0",
    "-0.0",
    "1e400",
    "-1",
    "1e9",
    "1.7500000005e9",
    "1750000000.999999999999",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1E3",
    "0.1e-400",
    "1750000000e0",
    "17500000300e-1",
    "4e9",
    "1.8446744073709552e19",
    "1e19",
    "9007199254740993",
    "1749999970",
    "1750000030",
];
const TRAILERS: [&[u8]; 8] = [b" ", b"\n\t\r ", b"x", b"}", b",", b"\0", b"{}", b"\xef\xbb\xbf"];

// ---------------------------------------------------------------------------------------
// Input decoding
// ---------------------------------------------------------------------------------------

/// Reads bytes from the fuzzer input; zero once it runs out, so an empty input is the
/// all-defaults (valid) token.
struct R<'a, 'b>(&'b mut Unstructured<'a>);

impl R<'_, '_> {
    fn byte(&mut self) -> u8 {
        self.0.arbitrary::<u8>().unwrap_or(0)
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        self.0.bytes(n).map(<[u8]>::to_vec).unwrap_or_default()
    }
}

/// One member of a generated JSON object: decoded name, JSON text of the name, and JSON
/// text of the value.
#[derive(Clone)]
struct Member {
    name: String,
    name_json: Vec<u8>,
    value: Vec<u8>,
}

struct Doc {
    json: Vec<u8>,
    b64_mode: u8,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Header,
    Payload,
}

struct Input {
    /// bit 0: issuer/audience configured; bit 1: template type "refresh".
    cfg: u8,
    header: Doc,
    payload: Doc,
    sig_mode: u8,
    sig_raw: Vec<u8>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("cfg", &self.cfg)
            .field("header", &String::from_utf8_lossy(&self.header.json))
            .field("header_b64_mode", &self.header.b64_mode)
            .field("payload", &String::from_utf8_lossy(&self.payload.json))
            .field("payload_b64_mode", &self.payload.b64_mode)
            .field("sig_mode", &self.sig_mode)
            .finish()
    }
}

fn json_str(s: &str) -> Vec<u8> {
    serde_json::to_vec(s).expect("string serialises")
}

/// `name` as JSON with its first character written as a `\u` escape.
fn escaped_name(name: &str) -> Vec<u8> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return b"\"\"".to_vec();
    };
    let mut out = String::from("\"");
    let mut units = [0u16; 2];
    for u in first.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{u:04x}"));
    }
    let rest = serde_json::to_string(chars.as_str()).expect("string serialises");
    out.push_str(&rest[1..]);
    out.into_bytes()
}

fn read_name(r: &mut R<'_, '_>) -> String {
    let k = r.byte();
    if k & 0x80 == 0 {
        KEYS[usize::from(k) % KEYS.len()].to_owned()
    } else {
        let n = usize::from(r.byte() % 24);
        String::from_utf8_lossy(&r.bytes(n)).into_owned()
    }
}

fn read_value(r: &mut R<'_, '_>, depth: u32) -> Vec<u8> {
    let t = r.byte() % 16;
    match t {
        0 => b"null".to_vec(),
        1 => b"true".to_vec(),
        2 => b"false".to_vec(),
        3 => {
            let d = i64::from(r.u16() as i16);
            (NOW as i64 + d).to_string().into_bytes()
        }
        4 => i64::from(r.byte() as i8).to_string().into_bytes(),
        5 => r.u64().to_string().into_bytes(),
        6 => {
            let d = f64::from(r.u16() as i16);
            let frac = f64::from(r.byte()) / 256.0;
            let f = NOW as f64 + d + frac;
            serde_json::to_vec(&f).expect("finite float")
        }
        7 => NUMS[usize::from(r.byte()) % NUMS.len()].as_bytes().to_vec(),
        8 => json_str(STRS[usize::from(r.byte()) % STRS.len()]),
        9 => {
            let n = usize::from(r.byte() % 32);
            json_str(&String::from_utf8_lossy(&r.bytes(n)))
        }
        10 => {
            // Raw bytes between quotes: escapes, control characters, invalid UTF-8.
            let n = usize::from(r.byte() % 32);
            let mut v = b"\"".to_vec();
            v.extend(r.bytes(n));
            v.push(b'"');
            v
        }
        11 if depth < MAX_DEPTH => {
            let n = r.byte() % 6;
            let mut v = b"[".to_vec();
            for i in 0..n {
                if i > 0 {
                    v.push(b',');
                }
                v.extend(read_value(r, depth + 1));
            }
            v.push(b']');
            v
        }
        12 if depth < MAX_DEPTH => {
            let n = r.byte() % 6;
            let mut members = Vec::new();
            for _ in 0..n {
                let dup = r.byte() & 1 == 1;
                let name = read_name(r);
                let value = read_value(r, depth + 1);
                let m = Member {
                    name_json: json_str(&name),
                    name,
                    value,
                };
                if dup {
                    members.push(m);
                } else if let Some(slot) = members.iter_mut().find(|x| x.name == m.name) {
                    *slot = m;
                } else {
                    members.push(m);
                }
            }
            render(&members, 0)
        }
        13 => {
            // Deep nesting around serde_json's recursion limit (128).
            let n = usize::from(r.u16() % 300);
            let obj = r.byte() & 1 == 1;
            let mut v = Vec::new();
            for _ in 0..n {
                v.extend_from_slice(if obj { b"{\"a\":" } else { b"[" });
            }
            v.extend_from_slice(b"0");
            for _ in 0..n {
                v.push(if obj { b'}' } else { b']' });
            }
            v
        }
        14 => {
            // Just around the leeway boundaries.
            let d = i64::from(r.byte() as i8);
            (NOW as i64 + d).to_string().into_bytes()
        }
        15 => {
            let n = r.byte() % 4;
            let items: Vec<&str> = (0..n)
                .map(|_| STRS[usize::from(r.byte()) % STRS.len()])
                .collect();
            serde_json::to_vec(&items).expect("strings serialise")
        }
        _ => b"null".to_vec(),
    }
}

fn render(members: &[Member], style: u8) -> Vec<u8> {
    let (sep, colon, open, close): (&[u8], &[u8], &[u8], &[u8]) = match style {
        0 => (b",", b":", b"{", b"}"),
        1 => (b", ", b": ", b"{ ", b" }"),
        2 => (b",\n\t", b" :\t", b"{\n\t", b"\n}"),
        _ => (b",", b":", b" \r\n{", b"}\n "),
    };
    let mut v = open.to_vec();
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            v.extend_from_slice(sep);
        }
        v.extend_from_slice(&m.name_json);
        v.extend_from_slice(colon);
        v.extend_from_slice(&m.value);
    }
    v.extend_from_slice(close);
    v
}

fn template(part: Part, cfg: u8) -> Vec<Member> {
    let m = |name: &str, value: Vec<u8>| Member {
        name: name.to_owned(),
        name_json: json_str(name),
        value,
    };
    match part {
        Part::Header => vec![m("alg", json_str("HS256")), m("typ", json_str("JWT"))],
        Part::Payload => {
            let mut v = vec![
                m("sub", json_str("user-1")),
                m("iat", NOW.to_string().into_bytes()),
                m("exp", (NOW + 900).to_string().into_bytes()),
                m("jti", json_str("0123456789abcdef0123456789abcdef")),
                m(
                    "type",
                    json_str(if cfg & 2 == 0 { "access" } else { "refresh" }),
                ),
            ];
            if cfg & 1 == 1 {
                v.push(m("iss", json_str(ISS)));
                v.push(m("aud", json_str(AUD)));
            }
            v
        }
    }
}

fn read_doc(r: &mut R<'_, '_>, part: Part, cfg: u8) -> Doc {
    let flags = r.byte();
    let b64_mode = flags >> 6;
    if flags & 2 != 0 {
        let n = usize::from(r.u16() % 2048);
        return Doc {
            json: r.bytes(n),
            b64_mode,
        };
    }
    let mut members = if flags & 1 == 0 {
        template(part, cfg)
    } else {
        Vec::new()
    };
    let ops = r.byte() % 12;
    for _ in 0..ops {
        let op = r.byte() % 4;
        let name = read_name(r);
        match op {
            // Remove.
            2 => members.retain(|m| m.name != name),
            // Append: may duplicate a name.
            1 => {
                let value = read_value(r, 0);
                members.push(Member {
                    name_json: json_str(&name),
                    name,
                    value,
                });
            }
            // Set (0), or set with the name spelt with a `\u` escape (3).
            _ => {
                let value = read_value(r, 0);
                let name_json = if op == 3 {
                    escaped_name(&name)
                } else {
                    json_str(&name)
                };
                let m = Member {
                    name,
                    name_json,
                    value,
                };
                if let Some(slot) = members.iter_mut().find(|x| x.name == m.name) {
                    *slot = m;
                } else {
                    members.push(m);
                }
            }
        }
    }
    let mut json = Vec::new();
    if flags & 0x20 != 0 {
        json.extend_from_slice(b"\xef\xbb\xbf");
    }
    json.extend(render(&members, (flags >> 2) & 3));
    if flags & 0x10 != 0 {
        json.extend_from_slice(TRAILERS[usize::from(r.byte()) % TRAILERS.len()]);
    }
    Doc { json, b64_mode }
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut r = R(u);
        let cfg = r.byte() & 3;
        let header = read_doc(&mut r, Part::Header, cfg);
        let payload = read_doc(&mut r, Part::Payload, cfg);
        let sig_mode = r.byte() % 12;
        let sig_raw = if sig_mode == 6 {
            let n = usize::from(r.byte());
            r.bytes(n)
        } else {
            Vec::new()
        };
        Ok(Self {
            cfg,
            header,
            payload,
            sig_mode,
            sig_raw,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Token construction
// ---------------------------------------------------------------------------------------

fn hmac(secret: &str, alg: jsonwebtoken::Algorithm, msg: &[u8]) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).expect("hmac key");
    jsonwebtoken::crypto::sign(msg, &key, alg).expect("hmac signs")
}

/// A base64url string with its last character's unused low bits set: same bytes for a
/// lenient decoder, a second encoding for a strict one.
fn non_canonical(b64: &str) -> String {
    const ALPHABET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = b64.to_owned();
    if s.len() % 4 < 2 {
        // No unused bits: one more character makes it invalid base64 instead.
        return s + "A";
    }
    // The canonical encoding leaves the lowest unused bit at zero: set it.
    if let Some(last) = s.pop() {
        let idx = ALPHABET.iter().position(|c| *c == last as u8).unwrap_or(0);
        s.push(ALPHABET[idx | 1] as char);
    }
    s
}

fn encode(doc: &Doc) -> String {
    match doc.b64_mode {
        0 => URL_SAFE_NO_PAD.encode(&doc.json),
        1 => URL_SAFE.encode(&doc.json),
        2 => STANDARD_NO_PAD.encode(&doc.json),
        _ => non_canonical(&URL_SAFE_NO_PAD.encode(&doc.json)),
    }
}

/// Builds the token, and the one canonical, correctly signed token for the same JSON.
fn build(input: &Input) -> (String, String) {
    let h = encode(&input.header);
    let p = encode(&input.payload);
    let signing_input = format!("{h}.{p}");
    let canonical_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&input.header.json),
        URL_SAFE_NO_PAD.encode(&input.payload.json)
    );
    let canonical = format!(
        "{canonical_input}.{}",
        hmac(SECRET, jsonwebtoken::Algorithm::HS256, canonical_input.as_bytes())
    );
    let good = hmac(SECRET, jsonwebtoken::Algorithm::HS256, signing_input.as_bytes());
    let sig = match input.sig_mode {
        1 => hmac(WRONG_SECRET, jsonwebtoken::Algorithm::HS256, signing_input.as_bytes()),
        2 => good + "=",
        3 => non_canonical(&good),
        4 => good[..good.len() - 1].to_owned(),
        5 => String::new(),
        6 => String::from_utf8_lossy(&input.sig_raw).into_owned(),
        7 => hmac(SECRET, jsonwebtoken::Algorithm::HS384, signing_input.as_bytes()),
        8 => good + ".e30",
        9 => good + " ",
        10 => URL_SAFE_NO_PAD.encode([0u8; 32]),
        _ => good,
    };
    (format!("{signing_input}.{sig}"), canonical)
}

// ---------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------

/// True when the JSON text has a duplicate member name at any depth; None when it is not
/// JSON. Independent of auth-core's parser.
fn has_duplicates(bytes: &[u8]) -> Option<bool> {
    struct Dup(bool);
    impl<'de> Deserialize<'de> for Dup {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(DupVisitor)
        }
    }
    struct DupVisitor;
    impl<'de> Visitor<'de> for DupVisitor {
        type Value = Dup;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_str<E>(self, _: &str) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_unit<E>(self) -> Result<Dup, E> {
            Ok(Dup(false))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dup, A::Error> {
            let mut dup = false;
            while let Some(Dup(d)) = seq.next_element()? {
                dup |= d;
            }
            Ok(Dup(dup))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dup, A::Error> {
            let mut seen = HashSet::new();
            let mut dup = false;
            while let Some(k) = map.next_key::<String>()? {
                dup |= !seen.insert(k);
                let Dup(d) = map.next_value()?;
                dup |= d;
            }
            Ok(Dup(dup))
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let Dup(d) = Dup::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(d)
}

fn object(bytes: &[u8]) -> Option<Map<String, Value>> {
    match has_duplicates(bytes)? {
        true => None,
        false => match serde_json::from_slice::<Value>(bytes).ok()? {
            Value::Object(m) => Some(m),
            _ => None,
        },
    }
}

fn numeric_date(v: Option<&Value>) -> Result<Option<u64>, ()> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => Ok(Some(u)),
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            (None, Some(f)) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
            _ => Err(()),
        },
        Some(_) => Err(()),
    }
}

fn non_empty_str(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::String(s)) if !s.is_empty())
}

/// What the documented rules say about `token`: `Ok(payload)` when it must verify, or
/// the reason it must not.
fn expected(
    token: &str,
    canonical: &str,
    input: &Input,
    configured: bool,
    ty: TokenType,
) -> Result<Map<String, Value>, &'static str> {
    if token.len() > MAX_BYTES {
        return Err("too large");
    }
    if token != canonical {
        return Err("not the canonical, correctly signed token");
    }
    if input.header.json.is_empty() || input.payload.json.is_empty() {
        return Err("empty part");
    }
    let header = object(&input.header.json).ok_or("header not a strict JSON object")?;
    if ["crit", "b64", "enc", "zip"].iter().any(|k| header.contains_key(*k)) {
        return Err("unsupported header");
    }
    if header.get("alg") != Some(&Value::String("HS256".into())) {
        return Err("alg");
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) => {
            let t = t.strip_prefix("application/").unwrap_or(t);
            if !t.eq_ignore_ascii_case("jwt") && !t.eq_ignore_ascii_case("at+jwt") {
                return Err("typ");
            }
        }
        Some(_) => return Err("typ"),
    }
    if header.contains_key("kid") {
        return Err("kid");
    }
    let p = object(&input.payload.json).ok_or("payload not a strict JSON object")?;
    let exp = numeric_date(p.get("exp"))
        .map_err(|()| "exp invalid")?
        .ok_or("exp missing")?;
    if NOW >= exp.saturating_add(LEEWAY) {
        return Err("expired");
    }
    let nbf = numeric_date(p.get("nbf")).map_err(|()| "nbf invalid")?;
    if nbf.is_some_and(|n| n > NOW + LEEWAY) {
        return Err("nbf");
    }
    let iat = numeric_date(p.get("iat"))
        .map_err(|()| "iat invalid")?
        .ok_or("iat missing")?;
    if iat > NOW + LEEWAY {
        return Err("iat in the future");
    }
    if p.get("type") != Some(&Value::String(ty.as_str().into())) {
        return Err("type");
    }
    match p.get("iss") {
        None if configured => return Err("iss missing"),
        None => {}
        Some(Value::String(s)) if !configured || s == ISS => {}
        Some(_) => return Err("iss"),
    }
    match p.get("aud") {
        None if configured => return Err("aud missing"),
        None => {}
        Some(_) if !configured => return Err("aud without configured audience"),
        Some(Value::String(s)) if s == AUD => {}
        Some(Value::Array(items))
            if items.iter().all(Value::is_string) && items.iter().any(|v| v == AUD) => {}
        Some(_) => return Err("aud"),
    }
    if !non_empty_str(p.get("sub")) {
        return Err("sub");
    }
    if !non_empty_str(p.get("jti")) {
        return Err("jti");
    }
    if p.contains_key("fam") && !non_empty_str(p.get("fam")) {
        return Err("fam");
    }
    Ok(p)
}

fn check_claims(c: &Claims, p: &Map<String, Value>, configured: bool, ty: TokenType) {
    let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    assert_eq!(Some(&c.sub), s("sub").as_ref(), "sub");
    assert_eq!(Some(&c.jti), s("jti").as_ref(), "jti");
    assert_eq!(c.iss, s("iss"), "iss");
    assert_eq!(c.fam, s("fam"), "fam");
    assert_eq!(c.token_type, ty, "type");
    assert_eq!(Ok(Some(c.exp)), numeric_date(p.get("exp")), "exp");
    assert_eq!(Ok(Some(c.iat)), numeric_date(p.get("iat")), "iat");
    assert_eq!(Ok(c.nbf), numeric_date(p.get("nbf")), "nbf");
    assert!(c.exp > 0 && !c.sub.is_empty());
    if configured {
        assert_eq!(c.iss.as_deref(), Some(ISS));
        assert!(c.aud.as_ref().is_some_and(|a| a.contains(AUD)));
    } else {
        assert!(c.aud.is_none());
    }
    let mut extra = p.clone();
    for k in RESERVED_CLAIMS {
        extra.remove(k);
    }
    assert_eq!(c.extra, extra, "extra claims");
    // Scopes: `scope`, else `scopes`; a string is split like Python's str.split() (empty
    // pieces dropped), a list is taken item by item (non-strings ignored, items verbatim).
    let want: std::collections::BTreeSet<&str> = match p.get("scope").or_else(|| p.get("scopes")) {
        Some(Value::String(s)) => s
            .split(|ch: char| ch.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&ch))
            .filter(|x| !x.is_empty())
            .collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => std::collections::BTreeSet::new(),
    };
    assert!(c.scopes.iter().eq(want.iter().copied()), "scopes");
    serde_json::to_string(c).expect("claims serialise");
}

// ---------------------------------------------------------------------------------------
// The target
// ---------------------------------------------------------------------------------------

fn config(configured: bool) -> IssuerConfig {
    let mut cfg = IssuerConfig::hs256(SECRET);
    if configured {
        cfg.issuer = Some(ISS.into());
        cfg.audience = Some(AUD.into());
    }
    cfg
}

fn new_issuer(configured: bool) -> Issuer {
    Issuer::builder(config(configured))
        .clock(Clock::manual(NOW))
        .build()
        .expect("issuer")
}

fn issuer(configured: bool) -> &'static Issuer {
    static PLAIN: OnceLock<Issuer> = OnceLock::new();
    static CONFIGURED: OnceLock<Issuer> = OnceLock::new();
    if configured {
        CONFIGURED.get_or_init(|| new_issuer(true))
    } else {
        PLAIN.get_or_init(|| new_issuer(false))
    }
}

/// Polls a future that never waits (the in-memory store answers at once).
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("in-memory revocation store future did not complete");
}

fn ignore_known() -> bool {
    static IGNORE: OnceLock<bool> = OnceLock::new();
    *IGNORE.get_or_init(|| std::env::var_os("AUTH_FUZZ_IGNORE_KNOWN").is_some_and(|v| v == "1"))
}

fn compare(
    what: &str,
    got: &Result<Claims, TokenError>,
    want: &Result<Map<String, Value>, &'static str>,
    configured: bool,
    ty: TokenType,
    token: &str,
) {
    match (got, want) {
        (Ok(c), Ok(p)) => check_claims(c, p, configured, ty),
        (Err(e), Err(_)) => {
            let _ = e.to_string();
        }
        (Ok(c), Err(why)) => {
            panic!("{what} ACCEPTED a token the rules refuse ({why}): {c:?}\ntoken: {token}")
        }
        (Err(e), Ok(_)) => {
            panic!("{what} REFUSED a token the rules accept: {e:?} ({e})\ntoken: {token}")
        }
    }
}

fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("AUTH_FUZZ_DEBUG").is_some_and(|v| v == "1"))
}

fuzz_target!(|input: Input| {
    let (token, canonical) = build(&input);
    if debug() {
        eprintln!("{input:?}\ntoken: {token}");
    }
    for configured in [false, true] {
        let issuer = issuer(configured);
        let access = issuer.verify_access(&token);
        let want = expected(&token, &canonical, &input, configured, TokenType::Access);
        compare("verify_access", &access, &want, configured, TokenType::Access, &token);

        let refresh = block_on(issuer.verify_refresh(&token));
        if debug() {
            eprintln!(
                "configured={configured} access={:?} refresh={:?}",
                access.as_ref().map(|c| &c.sub),
                refresh.as_ref().map(|c| &c.sub)
            );
        }
        let want = expected(&token, &canonical, &input, configured, TokenType::Refresh);
        compare("verify_refresh", &refresh, &want, configured, TokenType::Refresh, &token);

        assert!(
            !(access.is_ok() && refresh.is_ok()),
            "a token verified as both access and refresh"
        );

        if let Ok(claims) = refresh {
            // Revocation on a fresh issuer (fresh store), so state does not build up.
            let fresh = new_issuer(configured);
            let revoked = block_on(fresh.revoke_refresh(&token));
            assert!(revoked.is_ok(), "revoke_refresh refused a valid refresh token: {revoked:?}");
            let again = block_on(fresh.verify_refresh(&token));
            let known_gap = claims.exp <= NOW;
            if !(ignore_known() && known_gap) {
                assert!(
                    matches!(again, Err(TokenError::Revoked)),
                    "a revoked refresh token still verifies: {again:?} (exp = now {:+}, leeway {LEEWAY})\ntoken: {token}",
                    claims.exp as i128 - NOW as i128,
                );
            }
        }
    }
});
