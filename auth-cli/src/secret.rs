//! `authctl secret`: a random HMAC secret.
//!
//! Standard output holds the secret and nothing else, so `$(authctl secret)` works; the
//! advice goes to standard error, and never repeats the secret.

use auth_core::{Algorithm, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroize as _;

use crate::cli::{self, Arg, Args, CliError};

pub(crate) const HELP: &str = "\
Print a random URL-safe secret for the HMAC algorithms (HS256, HS384, HS512)

Usage: authctl secret [--bytes N]

By default: auth_core::random_secret(), 512 random bits as 86 base64url characters,
long enough for every HMAC algorithm. Only the secret goes to standard output:

  export ROCKET_AUTH_SECRET=\"$(authctl secret)\"

auth-core uses the secret's characters as the HMAC key, so HS256/HS384/HS512 need
at least 32/48/64 characters.

Options:
  --bytes N    N random bytes (at least 32, at most 1024), base64url-encoded
  -q, --quiet  Print nothing on standard error
  -h, --help   Print help
";

/// Fewest random bytes `--bytes` accepts: 256 bits.
const MIN_BYTES: usize = 32;
/// Most random bytes `--bytes` accepts.
const MAX_BYTES: usize = 1024;

/// Runs `authctl secret`.
///
/// # Errors
///
/// A usage error for bad arguments; a failure when the system has no randomness.
pub(crate) fn run(args: Args) -> Result<u8, CliError> {
    let mut args = args.for_command("secret");
    let mut bytes = None;
    let mut quiet = false;
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Opt(o) if o == "-h" || o == "--help" => return cli::help(HELP),
            Arg::Opt(o) if o == "-q" || o == "--quiet" => quiet = true,
            Arg::Opt(o) if o == "--bytes" => {
                let value = args.value(&o)?;
                let n: usize = value.parse().map_err(|_| {
                    args.error(format!("--bytes takes a number of bytes, not `{value}`"))
                })?;
                if !(MIN_BYTES..=MAX_BYTES).contains(&n) {
                    return Err(args.error(format!(
                        "--bytes must be between {MIN_BYTES} (256 bits) and {MAX_BYTES}"
                    )));
                }
                bytes = Some(n);
            }
            Arg::Opt(o) => return Err(args.unknown(&o)),
            Arg::Pos(p) => return Err(args.error(format!("unexpected argument `{p}`"))),
        }
    }
    let (secret, bits) = match bytes {
        None => (
            auth_core::try_random_secret().map_err(|e| CliError::Failed(e.to_string()))?,
            512,
        ),
        Some(n) => (random_base64url(n)?, n * 8),
    };
    cli::out(&format!("{}\n", secret.expose()))?;
    if !quiet {
        let fits: Vec<&str> = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]
            .into_iter()
            .filter(|a| a.min_secret_len().is_some_and(|min| secret.len() >= min))
            .map(Algorithm::as_str)
            .collect();
        cli::note(&format!(
            "# {} characters from {bits} random bits, long enough for {}.\n\
             # Set it with: export ROCKET_AUTH_SECRET=\"$(authctl secret)\" (keep it out of version control)",
            secret.len(),
            fits.join(", ")
        ));
    }
    Ok(0)
}

/// `n` random bytes from the operating system, base64url without padding.
fn random_base64url(n: usize) -> Result<Secret, CliError> {
    let mut raw = vec![0u8; n];
    getrandom::fill(&mut raw).map_err(|e| {
        CliError::Failed(format!(
            "the operating system's random number generator failed: {e}"
        ))
    })?;
    let secret = Secret::new(URL_SAFE_NO_PAD.encode(&raw));
    raw.zeroize();
    Ok(secret)
}
