//! `authctl jwks`: the JSON Web Key Set (RFC 7517) of PEM keys, as a service with those
//! keys in its ring serves it at `/.well-known/jwks.json`. Public keys only: private
//! members and HMAC secrets never appear.

use auth_core::Algorithm;

use crate::cli::{self, Arg, Args, CliError};
use crate::keys::{PemKey, config_message, parse_algorithm, ring};

pub(crate) const HELP: &str = "\
Print the JSON Web Key Set (public keys only) of PEM keys

Usage: authctl jwks [--kid KID] [--alg ALG] KEY.pem [[--kid KID] [--alg ALG] KEY2.pem ...]

Each KEY.pem is a private key (PKCS#8, or PKCS#1 for RSA) or a public key (SPKI, or
PKCS#1 for RSA). --kid and --alg apply to the key file that follows them:

  --kid KID   The key's id. Default: its RFC 7638 thumbprint (what auth-core uses)
  --alg ALG   The algorithm the key is bound to. Default: from the key type:
              EC P-256 -> ES256, P-384 -> ES384, Ed25519 -> EdDSA, RSA -> RS256
  -h, --help  Print help

Each key is loaded through auth-core first, so a key a service would refuse (RSA under
2048 bits, SEC1 or encrypted PEM, a curve other than P-256/P-384) is an error here.

Example:
  authctl jwks keys/2026-11.pem --kid 2026-08 keys/2026-08.pub.pem > jwks.json
";

/// Runs `authctl jwks`.
///
/// # Errors
///
/// A usage error for bad arguments, or a key auth-core refuses.
pub(crate) fn run(args: Args) -> Result<u8, CliError> {
    let mut args = args.for_command("jwks");
    let mut entries = Vec::new();
    let (mut kid, mut alg): (Option<String>, Option<Algorithm>) = (None, None);
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Opt(o) if o == "-h" || o == "--help" => return cli::help(HELP),
            Arg::Opt(o) if o == "--kid" => {
                let value = args.value(&o)?;
                if value.is_empty() {
                    return Err(args.error("--kid must not be empty"));
                }
                kid = Some(value);
            }
            Arg::Opt(o) if o == "--alg" => alg = Some(parse_algorithm(&args.value(&o)?, "jwks")?),
            Arg::Opt(o) => return Err(args.unknown(&o)),
            Arg::Pos(path) => entries.push((path, kid.take(), alg.take())),
        }
    }
    if kid.is_some() || alg.is_some() {
        return Err(args
            .error("--kid and --alg apply to the key file that follows them: put them before it"));
    }
    if entries.is_empty() {
        return Err(args.error("give at least one PEM key file"));
    }

    let mut configs = Vec::with_capacity(entries.len());
    let mut first_alg = None;
    for (path, kid, alg) in &entries {
        let key = PemKey::read(path, "jwks")?;
        let alg = key.algorithm(*alg, None)?;
        if alg.is_symmetric() {
            return Err(args.error(format!(
                "{path}: {alg} keys are secrets and are never published"
            )));
        }
        first_alg.get_or_insert(alg);
        let config = key.key_config(alg);
        configs.push(match kid {
            Some(kid) => config.with_kid(kid),
            None => config,
        });
    }
    let issuer =
        ring(first_alg.unwrap_or_default(), configs).map_err(|e| args.error(config_message(&e)))?;
    for ((path, _, _), info) in entries.iter().zip(issuer.keys()) {
        cli::note(&format!(
            "# {path}: {}, kid {:?}",
            info.algorithm,
            info.kid.unwrap_or_default()
        ));
    }
    let text = serde_json::to_string_pretty(&issuer.jwks())
        .map_err(|e| CliError::Failed(format!("cannot serialise the JWKS: {e}")))?;
    cli::out(&format!("{text}\n"))?;
    Ok(0)
}
