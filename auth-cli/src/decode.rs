//! `authctl decode`: what a token says, with its times made readable; and, given a
//! secret, a PEM key or a JWKS, whether auth-core accepts it and if not, why.
//!
//! Without a key the claims are labelled UNVERIFIED: anyone can write a token. With one,
//! the token goes through the same [`Issuer`] checks as in a service (signature with the
//! key's algorithm, `exp`/`nbf`/`iat` with the default leeway, `iss`/`aud` as given,
//! `type`), and the exact [`TokenError`] is printed.

use std::fmt::Write as _;
use std::future::Future;
use std::io::Read as _;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::dangerous::decode_unverified;
use auth_core::{
    Algorithm, Audience, DEFAULT_LEEWAY, Issuer, IssuerConfig, KeyConfig, Secret, TokenError,
};
use serde_json::{Map, Value};

use crate::cli::{self, Arg, Args, CliError, EXIT_INVALID};
use crate::keys::{PemKey, config_message, parse_algorithm, ring};
use crate::timefmt::{iso8601, span};

pub(crate) const HELP: &str = "\
Show a token's header and claims; verify it with a secret, a key or a JWKS

Usage: authctl decode <TOKEN|-> [--secret S | --secret-file FILE | --key PEM_FILE | --jwks FILE]
                      [--alg ALG] [--kid KID] [--iss ISS] [--aud AUD]...

TOKEN is the compact JWT (a leading `Bearer ` is ignored), or `-` to read it from
standard input. Without a key, the header and claims are printed UNVERIFIED. With one,
the token is verified as auth-core does in a service, and the result is printed:
`signature: valid` / `claims: valid`, or the reason it is refused.

Options:
  --secret S          HMAC secret (HS256/384/512). Prefer --secret-file: arguments are
                      visible to other users of the machine
  --secret-file FILE  Read the HMAC secret from FILE (trailing newlines ignored)
  --key PEM_FILE      PEM private or public key (RSA, EC P-256/P-384, Ed25519)
  --jwks FILE         JSON Web Key Set (or a single public JWK); the token's `kid` picks
                      the key
  --alg ALG           Bind the key to ALG. Default: from the key type (EC, Ed25519); for
                      RSA keys and secrets, the header's `alg` within that family
                      (RS/PS, HS), else RS256 / HS256. With --jwks: for keys
                      without `alg`
  --kid KID           The key's id. Default: the key's thumbprint (--key) or the token's
                      `kid` (--secret); a token without `kid` matches a key without one
  --iss ISS           Require this issuer (`iss` is not checked otherwise)
  --aud AUD           Accept this audience (repeatable). A token that names an audience
                      is refused when none is given, as a service configured without
                      `audience` refuses it
  -h, --help          Print help

Exit status: 0 decoded (no key) or valid, 1 invalid or unreadable token, 2 usage error.

Examples:
  authctl decode \"$TOKEN\"
  authctl decode - --key keys/2026-11.pub.pem --aud my-api < token.txt
  authctl decode \"$TOKEN\" --jwks jwks.json --iss my-service --aud my-api
";

/// Longest input read from standard input.
const MAX_STDIN_BYTES: u64 = 1 << 20;

/// Where the verifying key comes from.
#[derive(Debug)]
enum Source {
    Secret(Secret),
    SecretFile(String),
    Key(String),
    Jwks(String),
}

/// The parsed options of `authctl decode`.
#[derive(Debug, Default)]
struct Options {
    token: Option<String>,
    source: Option<Source>,
    alg: Option<Algorithm>,
    kid: Option<String>,
    iss: Option<String>,
    aud: Vec<String>,
}

/// What the token's header says, unverified: used to pick among keys, never trusted.
struct HeaderHints {
    alg: Option<Algorithm>,
    alg_text: Option<String>,
    kid: Option<String>,
}

/// The outcome of a verification.
struct Verdict {
    /// The key or secret, described.
    with: String,
    result: Result<auth_core::Claims, TokenError>,
    /// Why, when it failed, in terms of the token and the key.
    hint: Option<String>,
}

/// Runs `authctl decode`.
///
/// # Errors
///
/// A usage error for bad arguments or a key that does not load; a failure (exit status
/// 1) for a token that cannot be read.
pub(crate) fn run(args: Args) -> Result<u8, CliError> {
    let mut args = args.for_command("decode");
    let mut o = Options::default();
    while let Some(arg) = args.next_arg()? {
        let source = match arg {
            Arg::Opt(name) => match name.as_str() {
                "-h" | "--help" => return cli::help(HELP),
                "--secret" => Some(Source::Secret(Secret::new(args.value(&name)?))),
                "--secret-file" => Some(Source::SecretFile(args.value(&name)?)),
                "--key" => Some(Source::Key(args.value(&name)?)),
                "--jwks" => Some(Source::Jwks(args.value(&name)?)),
                "--alg" => {
                    o.alg = Some(parse_algorithm(&args.value(&name)?, "decode")?);
                    None
                }
                "--kid" => {
                    o.kid = Some(args.value(&name)?).filter(|k| !k.is_empty());
                    None
                }
                "--iss" => {
                    o.iss = Some(args.value(&name)?);
                    None
                }
                "--aud" => {
                    o.aud.push(args.value(&name)?);
                    None
                }
                _ => return Err(args.unknown(&name)),
            },
            Arg::Pos(token) if o.token.is_none() => {
                o.token = Some(token);
                None
            }
            Arg::Pos(_) => return Err(args.error("give one token (or `-` for standard input)")),
        };
        if source.is_some() {
            if o.source.is_some() {
                return Err(
                    args.error("give only one of --secret, --secret-file, --key and --jwks")
                );
            }
            o.source = source;
        }
    }
    let token = read_token(
        o.token
            .as_deref()
            .ok_or_else(|| args.error("no token given"))?,
    )?;
    if o.source.is_none()
        && (o.alg.is_some() || o.kid.is_some() || o.iss.is_some() || !o.aud.is_empty())
    {
        return Err(args.error(
            "--alg, --kid, --iss and --aud apply to verification: give --secret, --key or --jwks",
        ));
    }

    let (header, payload) = decode_unverified(&token)
        .map_err(|e| CliError::Failed(format!("cannot read the token: {e}")))?;
    let verdict = match o.source.take() {
        None => None,
        Some(source) => Some(verify(&token, &header, &payload, source, &o)?),
    };
    cli::out(&report(&header, &payload, verdict.as_ref(), &o))?;
    Ok(match verdict.map(|v| v.result) {
        Some(Err(_)) => EXIT_INVALID,
        _ => 0,
    })
}

/// The token from the argument, or from standard input for `-`.
fn read_token(arg: &str) -> Result<String, CliError> {
    let raw = if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(MAX_STDIN_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| {
                CliError::usage(Some("decode"), format!("cannot read standard input: {e}"))
            })?;
        text
    } else {
        arg.to_owned()
    };
    let mut token = raw.trim();
    if let (Some(scheme), Some(rest)) = (token.get(..7), token.get(7..))
        && scheme.eq_ignore_ascii_case("bearer ")
    {
        token = rest.trim_start();
    }
    if token.is_empty() {
        return Err(CliError::usage(Some("decode"), "the token is empty"));
    }
    Ok(token.to_owned())
}

/// Verifies the token with an issuer holding the key or keys of `source`.
fn verify(
    token: &str,
    header: &Map<String, Value>,
    payload: &Map<String, Value>,
    source: Source,
    o: &Options,
) -> Result<Verdict, CliError> {
    let alg_text = header.get("alg").and_then(Value::as_str).map(str::to_owned);
    let hints = HeaderHints {
        alg: alg_text.as_deref().and_then(|a| a.parse().ok()),
        alg_text,
        kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
    };
    let mut config = IssuerConfig::default();
    config.verify_cache_entries = 0;
    config.issuer.clone_from(&o.iss);
    config.audience = match o.aud.as_slice() {
        [] => None,
        [one] => Some(Audience::One(one.clone())),
        many => Some(Audience::Many(many.to_vec())),
    };
    let with = match source {
        Source::Secret(secret) => secret_issuer(&mut config, secret, &hints, o)?,
        Source::SecretFile(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::usage(Some("decode"), format!("cannot read {path}: {e}")))?;
            let secret = Secret::new(text.trim_end_matches(['\r', '\n']));
            drop(Secret::new(text));
            secret_issuer(&mut config, secret, &hints, o)?
        }
        Source::Key(path) => key_issuer(&mut config, &path, &hints, o)?,
        Source::Jwks(path) => jwks_issuer(&mut config, &path, &hints, o)?,
    };
    let issuer =
        Issuer::new(config).map_err(|e| CliError::usage(Some("decode"), config_message(&e)))?;
    let result = if payload.get("type").and_then(Value::as_str) == Some("refresh") {
        block_on(issuer.verify_refresh(token))
    } else {
        issuer.verify_access(token)
    };
    let hint = result
        .as_ref()
        .err()
        .and_then(|e| hint(e, &issuer, payload, &hints, o));
    Ok(Verdict { with, result, hint })
}

/// Configures an HMAC secret: named by `--kid`, else by the token's `kid` (a secret has
/// no thumbprint), else unnamed.
fn secret_issuer(
    config: &mut IssuerConfig,
    secret: Secret,
    hints: &HeaderHints,
    o: &Options,
) -> Result<String, CliError> {
    let alg = match o.alg {
        Some(a) if !a.is_symmetric() => {
            return Err(CliError::usage(
                Some("decode"),
                format!("--secret is for HS256/384/512; verify {a} tokens with --key or --jwks"),
            ));
        }
        Some(a) => a,
        None => hints
            .alg
            .filter(|a| a.is_symmetric())
            .unwrap_or(Algorithm::HS256),
    };
    config.algorithm = alg;
    match o.kid.as_ref().or(hints.kid.as_ref()) {
        None => config.secret = Some(secret),
        Some(kid) => config.keys = vec![KeyConfig::secret(alg, secret, kid.as_str())],
    }
    Ok(format!("{alg} secret"))
}

/// Configures a PEM key: unnamed when neither the token nor `--kid` names it (as a
/// service's single `private_key`), else named by `--kid` or its thumbprint (as in a key
/// ring).
fn key_issuer(
    config: &mut IssuerConfig,
    path: &str,
    hints: &HeaderHints,
    o: &Options,
) -> Result<String, CliError> {
    let key = PemKey::read(path, "decode")?;
    let alg = key.algorithm(o.alg, hints.alg)?;
    config.algorithm = alg;
    match (&hints.kid, &o.kid) {
        (None, None) => key.set_single(config),
        (_, Some(kid)) => config.keys = vec![key.key_config(alg).with_kid(kid.as_str())],
        (Some(_), None) => config.keys = vec![key.key_config(alg)],
    }
    let half = match key.half {
        crate::keys::Half::Private => "private",
        crate::keys::Half::Public => "public",
    };
    Ok(format!("{alg} {half} key {path}"))
}

/// Configures the keys of a JWKS; keys auth-core cannot use are skipped with a note.
fn jwks_issuer(
    config: &mut IssuerConfig,
    path: &str,
    hints: &HeaderHints,
    o: &Options,
) -> Result<String, CliError> {
    let usage = |message: String| CliError::usage(Some("decode"), format!("{path}: {message}"));
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(Some("decode"), format!("cannot read {path}: {e}")))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| usage(format!("not JSON ({e})")))?;
    let jwks = match value.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        _ if value.get("kty").is_some() => vec![value],
        _ => return Err(usage("not a JWK Set (no `keys` list) nor a JWK".into())),
    };
    let mut keys = Vec::new();
    for (index, jwk) in jwks.iter().enumerate() {
        let name = jwk.get("kid").and_then(Value::as_str).map_or_else(
            || format!("key #{index}"),
            |kid| format!("key #{index} (kid {kid:?})"),
        );
        if jwk.get("use").and_then(Value::as_str) == Some("enc") {
            cli::note(&format!(
                "# {path}: {name} skipped: an encryption key (`use: enc`)"
            ));
            continue;
        }
        let mut key = KeyConfig::jwk(jwk.to_string());
        if jwk.get("alg").is_none() {
            key.algorithm = o.alg.or_else(|| jwk_algorithm(jwk, hints.alg));
            if key.algorithm.is_none() {
                cli::note(&format!(
                    "# {path}: {name} skipped: no `alg`, and its key type is not RSA, EC P-256/P-384, Ed25519 or oct"
                ));
                continue;
            }
        }
        match ring(key.algorithm.unwrap_or_default(), vec![key.clone()]) {
            Ok(_) => keys.push(key),
            Err(e) => cli::note(&format!("# {path}: {name} skipped: {}", config_message(&e))),
        }
    }
    if keys.is_empty() {
        return Err(usage("no key auth-core can use".into()));
    }
    let count = keys.len();
    config.keys = keys;
    Ok(format!(
        "JWKS {path} ({count} key{})",
        if count == 1 { "" } else { "s" }
    ))
}

/// The algorithm of a JWK without `alg`, from its key type (and, for RSA and `oct`, the
/// token's `alg` when it is of that family).
fn jwk_algorithm(jwk: &Value, hint: Option<Algorithm>) -> Option<Algorithm> {
    let family = |symmetric: bool, default: Algorithm| {
        Some(
            hint.filter(|a| a.is_symmetric() == symmetric && a.family() == default.family())
                .unwrap_or(default),
        )
    };
    match (
        jwk.get("kty").and_then(Value::as_str)?,
        jwk.get("crv").and_then(Value::as_str),
    ) {
        ("RSA", _) => family(false, Algorithm::RS256),
        ("EC", Some("P-256")) => Some(Algorithm::ES256),
        ("EC", Some("P-384")) => Some(Algorithm::ES384),
        ("OKP", Some("Ed25519")) => Some(Algorithm::EdDSA),
        ("oct", _) => family(true, Algorithm::HS256),
        _ => None,
    }
}

/// Why the token failed, in terms of what the token and the keys say.
fn hint(
    error: &TokenError,
    issuer: &Issuer,
    payload: &Map<String, Value>,
    hints: &HeaderHints,
    o: &Options,
) -> Option<String> {
    match error {
        TokenError::UnknownKey => {
            let kids: Vec<String> = issuer
                .keys()
                .into_iter()
                .map(|k| k.kid.map_or_else(|| "(none)".to_owned(), |kid| format!("{kid:?}")))
                .collect();
            Some(match &hints.kid {
                None => format!("the token has no `kid`; the key ids given: {}", kids.join(", ")),
                Some(kid) => format!(
                    "the token's kid is {kid:?}; the key ids given: {}{}",
                    kids.join(", "),
                    if o.kid.is_none() && issuer.keys().len() == 1 {
                        format!(" (pass --kid {kid:?} to try this key anyway)")
                    } else {
                        String::new()
                    }
                ),
            })
        }
        TokenError::AlgorithmMismatch => Some(format!(
            "the token's header says alg {:?}; the key is bound to {}",
            hints.alg_text.as_deref().unwrap_or(""),
            issuer
                .keys()
                .first()
                .map_or_else(String::new, |k| k.algorithm.to_string())
        )),
        TokenError::InvalidAudience => payload.get("aud").map(|aud| {
            if o.aud.is_empty() {
                format!(
                    "the token names audience {aud}: pass --aud to accept it (a service without `audience` refuses such tokens)"
                )
            } else {
                format!("the token's audience is {aud}")
            }
        }),
        TokenError::InvalidIssuer => payload.get("iss").map(|iss| format!("the token's issuer is {iss}")),
        TokenError::Expired | TokenError::NotYetValid => Some(format!(
            "times are checked with {DEFAULT_LEEWAY} s of leeway, as a service does by default"
        )),
        _ => None,
    }
}

/// True for refusals made before or at the signature check: the claims were not trusted.
fn refused_before_claims(error: &TokenError) -> bool {
    matches!(
        error,
        TokenError::TooLarge { .. }
            | TokenError::Malformed(_)
            | TokenError::UnsupportedHeader(_)
            | TokenError::AlgorithmMismatch
            | TokenError::UnknownKey
            | TokenError::InvalidSignature
    )
}

/// The text printed on standard output.
fn report(
    header: &Map<String, Value>,
    payload: &Map<String, Value>,
    verdict: Option<&Verdict>,
    o: &Options,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "header:\n{}\n", pretty(header));
    let label = match verdict.map(|v| &v.result) {
        None => "claims (UNVERIFIED: no key given; anyone can write a token):",
        Some(Ok(_)) => "claims (verified):",
        Some(Err(e)) if refused_before_claims(e) => {
            "claims (UNVERIFIED: the signature check failed):"
        }
        Some(Err(_)) => "claims (signature valid, claims refused):",
    };
    let _ = writeln!(s, "{label}\n{}", pretty(payload));
    let times = times(payload);
    if !times.is_empty() {
        let _ = write!(s, "\ntimes (UTC):\n{times}");
    }
    s.push('\n');
    match verdict {
        None => s.push_str("signature: NOT CHECKED (give --secret, --key or --jwks to verify)\n"),
        Some(v) => {
            let _ = writeln!(s, "checked with: {}", v.with);
            match &v.result {
                Ok(claims) => {
                    let _ = writeln!(
                        s,
                        "signature: valid\nclaims: valid ({} token)",
                        claims.token_type
                    );
                    if o.iss.is_none() && payload.contains_key("iss") {
                        s.push_str("note: `iss` was not checked (pass --iss to require it)\n");
                    }
                }
                Err(e) if refused_before_claims(e) => {
                    let _ = writeln!(s, "signature: INVALID: {e}\nclaims: not checked");
                }
                Err(e) => {
                    let _ = writeln!(s, "signature: valid\nclaims: INVALID: {e}");
                }
            }
            if let Some(hint) = &v.hint {
                let _ = writeln!(s, "hint: {hint}");
            }
        }
    }
    s
}

/// `iat`, `nbf` and `exp` as dates and as time from now.
fn times(payload: &Map<String, Value>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut s = String::new();
    for claim in ["iat", "nbf", "exp"] {
        let Some(value) = payload.get(claim) else {
            continue;
        };
        let secs = value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0 && *f < 1e15)
                .map(|f| f.floor() as u64)
        });
        let line = match secs.and_then(|t| iso8601(t).map(|date| (t, date))) {
            Some((t, date)) => format!("{date}  ({})", relative(claim, t, now)),
            None => format!("{value} (not a usable NumericDate)"),
        };
        let _ = writeln!(s, "  {claim}  {line}");
    }
    s
}

/// How `t` relates to `now`, for `claim`: "expires in 14 min", "expired 3 h ago", ...
fn relative(claim: &str, t: u64, now: u64) -> String {
    let (past, d) = if t <= now {
        (true, span(now - t))
    } else {
        (false, span(t - now))
    };
    match (claim, past) {
        ("exp", false) => format!("expires in {d}"),
        ("exp", true) => format!("expired {d} ago"),
        ("nbf", false) => format!("not valid for another {d}"),
        ("nbf", true) => format!("valid since {d} ago"),
        (_, false) => format!("issued in {d}: in the future"),
        (_, true) => format!("issued {d} ago"),
    }
}

fn pretty(map: &Map<String, Value>) -> String {
    serde_json::to_string_pretty(map).unwrap_or_else(|_| format!("{map:?}"))
}

/// Runs a future that completes without waiting (the in-memory revocation store never
/// waits), without an async runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative("exp", 1_000 + 14 * 60, 1_000), "expires in 14 min");
        assert_eq!(relative("exp", 1_000, 1_000 + 3 * 3600), "expired 3 h ago");
        assert_eq!(relative("iat", 1_000, 1_010), "issued 10 s ago");
        assert_eq!(relative("nbf", 1_100, 1_000), "not valid for another 100 s");
    }

    #[test]
    fn bearer_prefix_and_whitespace_are_ignored() {
        assert_eq!(read_token("  Bearer a.b.c \n").unwrap(), "a.b.c");
        assert_eq!(read_token("a.b.c").unwrap(), "a.b.c");
        assert!(read_token("   ").is_err());
    }
}
