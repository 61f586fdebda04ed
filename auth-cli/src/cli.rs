//! The command line: a small parser for `--name value`, `--name=value`, flags and
//! positional arguments; the error type that decides the exit status; and output that
//! never panics (a closed pipe ends the program quietly).

use std::ffi::OsString;
use std::io::{self, Write};

/// Exit status of a token that does not verify, or cannot be read.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit status of a usage or configuration error.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a command stopped.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad arguments, an unreadable file, a key that does not load: exit status 2.
    Usage {
        /// The command whose `--help` to suggest.
        command: Option<&'static str>,
        /// What is wrong.
        message: String,
    },
    /// The operation failed (an unreadable token, a failed generation): exit status 1.
    Failed(String),
    /// Standard output is closed (`authctl ... | head`): exit quietly.
    ClosedOutput,
}

impl CliError {
    /// A usage error of `command` (or of `authctl` itself).
    pub(crate) fn usage(command: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::Usage {
            command,
            message: message.into(),
        }
    }

    /// Prints the error to standard error and returns the exit status.
    pub(crate) fn report(self) -> u8 {
        match self {
            Self::Usage { command, message } => {
                let help = command.map_or_else(
                    || "authctl --help".to_owned(),
                    |c| format!("authctl {c} --help"),
                );
                note(&format!("authctl: error: {message}\nSee `{help}`."));
                EXIT_USAGE
            }
            Self::Failed(message) => {
                note(&format!("authctl: error: {message}"));
                EXIT_INVALID
            }
            Self::ClosedOutput => EXIT_INVALID,
        }
    }
}

/// Writes `text` to standard output.
///
/// # Errors
///
/// [`CliError::ClosedOutput`] when standard output is closed; [`CliError::Failed`] for
/// any other write error.
pub(crate) fn out(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                CliError::ClosedOutput
            } else {
                CliError::Failed(format!("cannot write to standard output: {e}"))
            }
        })
}

/// Writes one line to standard error (best effort: there is nowhere else to report).
pub(crate) fn note(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// Prints a help text; exit status 0.
///
/// # Errors
///
/// As [`out`].
pub(crate) fn help(text: &str) -> Result<u8, CliError> {
    out(text).map(|()| 0)
}

/// One command-line argument.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// An option (`--name` or `-x`), its value (if any) read with [`Args::value`].
    Opt(String),
    /// A positional argument (`-` alone is one: standard input).
    Pos(String),
}

/// The arguments after the program name, read one at a time.
#[derive(Debug)]
pub(crate) struct Args {
    rest: std::vec::IntoIter<String>,
    /// The value written as `--name=value`, waiting for [`Args::value`].
    inline: Option<(String, String)>,
    /// After `--`, everything is positional.
    positional_only: bool,
    /// The command being parsed, for error messages.
    command: Option<&'static str>,
}

impl Args {
    /// The program's arguments.
    ///
    /// # Errors
    ///
    /// A usage error when an argument is not valid UTF-8.
    pub(crate) fn from_env() -> Result<Self, CliError> {
        Self::new(std::env::args_os().skip(1).collect())
    }

    /// Arguments from a list (without the program name).
    ///
    /// # Errors
    ///
    /// A usage error when an argument is not valid UTF-8.
    pub(crate) fn new(args: Vec<OsString>) -> Result<Self, CliError> {
        let args = args
            .into_iter()
            .map(|a| {
                a.into_string().map_err(|a| {
                    CliError::usage(None, format!("argument {a:?} is not valid UTF-8"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            rest: args.into_iter(),
            inline: None,
            positional_only: false,
            command: None,
        })
    }

    /// Names the command being parsed (for the `--help` hint of usage errors).
    pub(crate) fn for_command(mut self, command: &'static str) -> Self {
        self.command = Some(command);
        self
    }

    /// The next argument as is (the command name).
    pub(crate) fn next_raw(&mut self) -> Option<String> {
        self.rest.next()
    }

    /// The next argument.
    ///
    /// # Errors
    ///
    /// A usage error when the previous option was given a value (`--flag=x`) it does not
    /// take.
    pub(crate) fn next_arg(&mut self) -> Result<Option<Arg>, CliError> {
        if let Some((name, _)) = self.inline.take() {
            return Err(self.error(format!("{name} does not take a value")));
        }
        let Some(arg) = self.rest.next() else {
            return Ok(None);
        };
        if self.positional_only || arg == "-" || !arg.starts_with('-') {
            return Ok(Some(Arg::Pos(arg)));
        }
        if arg == "--" {
            self.positional_only = true;
            return self.next_arg();
        }
        if arg.starts_with("--")
            && let Some((name, value)) = arg.split_once('=')
        {
            self.inline = Some((name.to_owned(), value.to_owned()));
            return Ok(Some(Arg::Opt(name.to_owned())));
        }
        Ok(Some(Arg::Opt(arg)))
    }

    /// The value of option `name`: written `--name=value`, or the next argument.
    ///
    /// # Errors
    ///
    /// A usage error when there is none.
    pub(crate) fn value(&mut self, name: &str) -> Result<String, CliError> {
        if let Some((_, value)) = self.inline.take() {
            return Ok(value);
        }
        self.rest
            .next()
            .ok_or_else(|| self.error(format!("{name} needs a value")))
    }

    /// A usage error of the command being parsed.
    pub(crate) fn error(&self, message: impl Into<String>) -> CliError {
        CliError::usage(self.command, message)
    }

    /// The usage error for an option the command does not know.
    pub(crate) fn unknown(&self, option: &str) -> CliError {
        self.error(format!("unknown option `{option}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::new(list.iter().map(OsString::from).collect()).unwrap()
    }

    #[test]
    fn options_values_and_positionals() {
        let mut a = args(&["--alg", "ES256", "--out=k", "-", "x", "--", "--y"]);
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Opt("--alg".into())));
        assert_eq!(a.value("--alg").unwrap(), "ES256");
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Opt("--out".into())));
        assert_eq!(a.value("--out").unwrap(), "k");
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Pos("-".into())));
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Pos("x".into())));
        assert_eq!(a.next_arg().unwrap(), Some(Arg::Pos("--y".into())));
        assert_eq!(a.next_arg().unwrap(), None);
    }

    #[test]
    fn a_flag_given_a_value_and_a_missing_value_are_errors() {
        let mut a = args(&["--help=yes"]);
        assert!(a.next_arg().is_ok());
        assert!(a.next_arg().is_err());
        let mut a = args(&["--bits"]);
        assert!(a.next_arg().is_ok());
        assert!(a.value("--bits").is_err());
    }
}
