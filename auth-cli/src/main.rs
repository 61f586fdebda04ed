//! `authctl`: the operator's tool for auth-core and auth-rocket deployments.
//!
//! - `authctl secret`: a random HMAC secret for `ROCKET_AUTH_SECRET`;
//! - `authctl keygen`: an RSA, EC or Ed25519 key pair in PEM, with its `kid`;
//! - `authctl jwks`: the JSON Web Key Set that publishes PEM keys;
//! - `authctl decode`: what a token says, and whether a key, secret or JWKS accepts it.
//!
//! Every key and token goes through auth-core, so the tool accepts and refuses exactly
//! what a service would. Exit codes: 0 success, 1 a token that does not verify (or cannot
//! be read), 2 a usage or configuration error. Nothing printed ever contains a secret,
//! except the secret `authctl secret` is asked to make.

mod cli;
mod decode;
mod jwks;
mod keygen;
mod keys;
mod secret;
mod timefmt;

use std::process::ExitCode;

use cli::{Args, CliError};

const HELP: &str = "\
authctl: secrets, key pairs, JWKS and token inspection for auth-core / auth-rocket

Usage: authctl <COMMAND> [OPTIONS]

Commands:
  secret   Print a random HMAC secret (for ROCKET_AUTH_SECRET)
  keygen   Generate an RSA, EC or Ed25519 key pair in PEM
  jwks     Print the JSON Web Key Set (public keys only) of PEM keys
  decode   Show a token's header and claims; verify it with a secret, key or JWKS
  help     Print this message, or the help of a command

Options:
  -h, --help     Print help (also `authctl <COMMAND> --help`)
  -V, --version  Print the version

Exit status: 0 success, 1 token invalid or unreadable, 2 usage or configuration error.
";

fn main() -> ExitCode {
    let status = match Args::from_env().and_then(run) {
        Ok(code) => code,
        Err(error) => error.report(),
    };
    ExitCode::from(status)
}

/// Dispatches to the command named by the first argument; returns the exit status.
fn run(mut args: Args) -> Result<u8, CliError> {
    let Some(command) = args.next_raw() else {
        cli::note(HELP);
        return Ok(cli::EXIT_USAGE);
    };
    match command.as_str() {
        "secret" => secret::run(args),
        "keygen" => keygen::run(args),
        "jwks" => jwks::run(args),
        "decode" => decode::run(args),
        "help" | "-h" | "--help" => match args.next_raw().as_deref() {
            None => cli::help(HELP),
            Some("secret") => cli::help(secret::HELP),
            Some("keygen") => cli::help(keygen::HELP),
            Some("jwks") => cli::help(jwks::HELP),
            Some("decode") => cli::help(decode::HELP),
            Some(other) => Err(CliError::usage(None, format!("unknown command `{other}`"))),
        },
        "-V" | "--version" => {
            cli::out(&format!("authctl {}\n", env!("CARGO_PKG_VERSION")))?;
            Ok(0)
        }
        other => Err(CliError::usage(
            None,
            format!("unknown command `{other}` (commands: secret, keygen, jwks, decode)"),
        )),
    }
}
