//! `authctl keygen`: a fresh key pair for a signature algorithm, in PEM (PKCS#8 private
//! key, SPKI public key).
//!
//! Generated with the RustCrypto crates that auth-core's backend already uses (`rsa`,
//! `p256`, `p384`, `ed25519-dalek`) and the operating system's random number generator,
//! then loaded back through auth-core, which signs a token with the private key and
//! verifies it with the public one, before anything is printed or written.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use auth_core::{Algorithm, KeyConfig, KeyFamily, Secret};
use ed25519_dalek::SigningKey;
use getrandom::SysRng;
use p256::elliptic_curve::Generate as _;
use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::{
    Document, EncodePrivateKey as _, EncodePublicKey as _, LineEnding, PrivateKeyInfoRef,
    SecretDocument, SubjectPublicKeyInfoRef,
};
use zeroize::Zeroize as _;

use crate::cli::{self, Arg, Args, CliError};
use crate::keys::{config_message, parse_algorithm, ring};

pub(crate) const HELP: &str = "\
Generate a key pair for a signature algorithm

Usage: authctl keygen --alg <ALG> [--bits 2048|3072|4096] [--out PREFIX]

Prints the private key (PKCS#8 PEM) then the public key (SPKI PEM) on standard output,
or writes PREFIX.pem (mode 0600) and PREFIX.pub.pem. The key's id (its RFC 7638
thumbprint, the `kid` auth-core gives it in a key ring) goes to standard error.

The key is loaded back through auth-core, which signs a token and verifies it with
the public key, before anything is printed.

Options:
  --alg <ALG>      ES256, ES384, EdDSA, RS256, RS384, RS512, PS256, PS384 or PS512
                   (HS256/384/512 use a shared secret: see `authctl secret`)
  --bits <BITS>    RSA modulus size: 2048, 3072 (default) or 4096
  --out <PREFIX>   Write PREFIX.pem and PREFIX.pub.pem (never overwrites a file)
  -h, --help       Print help

Example:
  authctl keygen --alg ES256 --out keys/2026-11
  # then in Rocket.toml: algorithm = \"ES256\", private_key_path = \"keys/2026-11.pem\"
";

/// RSA modulus sizes `--bits` accepts.
const RSA_BITS: [usize; 3] = [2048, 3072, 4096];
/// The RSA modulus size without `--bits`.
const DEFAULT_RSA_BITS: usize = 3072;

/// A generated key pair in PEM.
struct Pair {
    private: Secret,
    public: String,
}

/// Runs `authctl keygen`.
///
/// # Errors
///
/// A usage error for bad arguments or an existing output file; a failure when
/// generation or the check through auth-core fails.
pub(crate) fn run(args: Args) -> Result<u8, CliError> {
    let mut args = args.for_command("keygen");
    let (mut alg, mut bits, mut out) = (None, None, None);
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Opt(o) if o == "-h" || o == "--help" => return cli::help(HELP),
            Arg::Opt(o) if o == "--alg" => alg = Some(parse_algorithm(&args.value(&o)?, "keygen")?),
            Arg::Opt(o) if o == "--bits" => {
                let value = args.value(&o)?;
                bits = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|b| RSA_BITS.contains(b))
                        .ok_or_else(|| {
                            args.error(format!("--bits must be 2048, 3072 or 4096, not `{value}`"))
                        })?,
                );
            }
            Arg::Opt(o) if o == "--out" => out = Some(args.value(&o)?),
            Arg::Opt(o) => return Err(args.unknown(&o)),
            Arg::Pos(p) => return Err(args.error(format!("unexpected argument `{p}`"))),
        }
    }
    let alg = alg.ok_or_else(|| args.error("--alg is required (ES256, EdDSA, RS256, ...)"))?;
    if alg.is_symmetric() {
        return Err(args.error(format!(
            "{alg} uses a shared secret, not a key pair: make one with `authctl secret`"
        )));
    }
    if bits.is_some() && alg.family() != KeyFamily::Rsa {
        return Err(args.error(format!(
            "--bits is for RSA keys only; {alg} keys have a fixed size"
        )));
    }
    let paths = out
        .as_deref()
        .map(|prefix| (format!("{prefix}.pem"), format!("{prefix}.pub.pem")));
    if let Some((private, public)) = &paths {
        for path in [private, public] {
            if Path::new(path).exists() {
                return Err(args.error(format!("{path} exists: remove it or choose another --out")));
            }
        }
    }

    let pair = generate(alg, bits.unwrap_or(DEFAULT_RSA_BITS))?;
    let kid = check(alg, &pair)?;

    match &paths {
        None => cli::out(&format!("{}{}", pair.private.expose(), pair.public))?,
        Some((private, public)) => {
            write_new(private, pair.private.expose(), true).map_err(|e| {
                CliError::usage(Some("keygen"), format!("cannot write {private}: {e}"))
            })?;
            write_new(public, &pair.public, false).map_err(|e| {
                CliError::usage(Some("keygen"), format!("cannot write {public}: {e}"))
            })?;
            cli::note(&format!(
                "wrote {private} (private key, mode 0600) and {public} (public key)"
            ));
        }
    }
    cli::note(&format!("kid: {kid}"));
    Ok(0)
}

/// Generates a key pair for `alg` (`bits` for RSA).
fn generate(alg: Algorithm, bits: usize) -> Result<Pair, CliError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        CliError::Failed(format!("cannot generate the {alg} key ({what}): {e}"))
    };
    // The same steps for both curves; a generic fn would need a wall of elliptic-curve bounds.
    macro_rules! ec_pair {
        ($curve:ident) => {{
            let key = $curve::SecretKey::try_generate_from_rng(&mut SysRng)
                .map_err(|e| failed("random number generator", &e))?;
            Ok(Pair {
                private: Secret::new(
                    key.to_pkcs8_pem(LineEnding::LF)
                        .map_err(|e| failed("PKCS#8", &e))?
                        .as_str(),
                ),
                public: key
                    .public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .map_err(|e| failed("SPKI", &e))?,
            })
        }};
    }
    match alg {
        Algorithm::ES256 => ec_pair!(p256),
        Algorithm::ES384 => ec_pair!(p384),
        Algorithm::EdDSA => ed25519().map_err(|e| failed("PKCS#8", &e)),
        _ => {
            let key = rsa::PrivateKey::new(&mut SysRng, bits).map_err(|e| failed("RSA", &e))?;
            Ok(Pair {
                private: Secret::new(
                    key.to_pkcs8_pem(LineEnding::LF)
                        .map_err(|e| failed("PKCS#8", &e))?
                        .as_str(),
                ),
                public: key
                    .to_public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .map_err(|e| failed("SPKI", &e))?,
            })
        }
    }
}

/// An Ed25519 key pair: PKCS#8 v1 private key (RFC 8410 §7, as OpenSSL writes it) and
/// SPKI public key. `ed25519-dalek` derives the public key; the encoding is `pkcs8`'s
/// (the same as `ed25519-dalek`'s own, which would need its `alloc` feature and so a
/// second build of the curve crates).
fn ed25519() -> Result<Pair, Box<dyn std::error::Error>> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)?;
    let signing = SigningKey::from_bytes(&seed);
    // CurvePrivateKey ::= OCTET STRING, inside the PKCS#8 privateKey OCTET STRING.
    let mut inner = [0u8; 34];
    inner[0] = 0x04;
    inner[1] = 0x20;
    inner[2..].copy_from_slice(&seed);
    seed.zeroize();
    let encoded = (|| {
        let info = PrivateKeyInfoRef {
            algorithm: ed25519_dalek::pkcs8::ALGORITHM_ID,
            private_key: OctetStringRef::new(&inner)?,
            public_key: None,
        };
        SecretDocument::encode_msg(&info)?.to_pem("PRIVATE KEY", LineEnding::LF)
    })();
    inner.zeroize();
    let private = Secret::new(encoded?.as_str());
    let public_bytes = signing.verifying_key().to_bytes();
    let spki = SubjectPublicKeyInfoRef {
        algorithm: ed25519_dalek::pkcs8::ALGORITHM_ID,
        subject_public_key: BitStringRef::new(0, &public_bytes)?,
    };
    let public = Document::encode_msg(&spki)?.to_pem("PUBLIC KEY", LineEnding::LF)?;
    Ok(Pair { private, public })
}

/// Loads the pair through auth-core (private and public halves together, which checks
/// they match), signs a token with it and verifies the token with the public key alone.
/// Returns the key's thumbprint `kid`.
fn check(alg: Algorithm, pair: &Pair) -> Result<String, CliError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        CliError::Failed(format!(
            "the generated {alg} key fails auth-core's check ({what}): {e}"
        ))
    };
    let mut both = KeyConfig::private_pem(alg, pair.private.expose());
    both.public_key = Some(pair.public.clone());
    let signer = ring(alg, vec![both]).map_err(|e| failed("loading", &config_message(&e)))?;
    let token = signer
        .issue_access("authctl-keygen-check", &())
        .map_err(|e| failed("signing", &e))?;
    let verifier = ring(alg, vec![KeyConfig::public_pem(alg, pair.public.as_str())])
        .map_err(|e| failed("loading the public key", &config_message(&e)))?;
    verifier
        .verify_access(&token)
        .map_err(|e| failed("verifying", &e))?;
    signer
        .keys()
        .into_iter()
        .find_map(|k| k.kid)
        .ok_or_else(|| failed("naming", &"no thumbprint"))
}

/// Writes `text` to a new file (never over an existing one); `private` files are
/// readable by their owner only.
fn write_new(path: &str, text: &str, private: bool) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file: File = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
