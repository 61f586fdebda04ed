//! The attribute's arguments, `("read", "write")`: parsed and validated into the list
//! of scopes, or into errors spanned on the offending tokens.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::{Error, Lit, LitStr};

/// An example of a correct attribute, for error messages.
const EXAMPLE: &str = r#"#[requires_scopes("admin")]"#;

/// Parses and validates the arguments of one `#[requires_scopes(..)]`: string literals
/// separated by commas, each one scope.
///
/// Every problem is reported, not only the first: the errors are combined.
pub(crate) fn parse(args: TokenStream) -> syn::Result<Vec<LitStr>> {
    let arguments = split(args);
    if arguments.is_empty() {
        return Err(Error::new(
            Span::call_site(),
            format!("#[requires_scopes] needs at least one scope, e.g. {EXAMPLE}"),
        ));
    }
    let mut scopes: Vec<LitStr> = Vec::with_capacity(arguments.len());
    let mut errors = Errors::default();
    for argument in arguments {
        match argument.and_then(|tokens| scope(&tokens)) {
            Ok(lit) => {
                let value = lit.value();
                if scopes.iter().any(|seen| seen.value() == value) {
                    errors.push(Error::new(
                        lit.span(),
                        format!(
                            "duplicate scope {value:?}: it is already listed in this #[requires_scopes]; \
                             remove one of them"
                        ),
                    ));
                } else {
                    scopes.push(lit);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    errors.finish()?;
    Ok(scopes)
}

/// Errors collected while looking at several tokens.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Splits the arguments at top-level commas (commas inside groups are not separators).
/// A trailing comma is accepted; an empty argument (`, ,` or a leading comma) is an
/// error on its comma.
fn split(args: TokenStream) -> Vec<syn::Result<Vec<TokenTree>>> {
    let mut arguments = Vec::new();
    let mut current = Vec::new();
    for tt in args {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if current.is_empty() {
                    arguments.push(Err(Error::new(
                        p.span(),
                        r#"expected a string literal such as "admin" before this comma"#,
                    )));
                } else {
                    arguments.push(Ok(std::mem::take(&mut current)));
                }
            }
            _ => current.push(tt),
        }
    }
    if !current.is_empty() {
        arguments.push(Ok(current));
    }
    arguments
}

/// One argument: it must be a single string literal holding a valid scope.
fn scope(tokens: &[TokenTree]) -> syn::Result<LitStr> {
    match tokens {
        // A literal passed through a `macro_rules!` fragment arrives in an invisible group.
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::None => {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            scope(&inner)
        }
        [TokenTree::Literal(literal)] => match Lit::new(literal.clone()) {
            Lit::Str(lit) => validate(lit),
            other => Err(Error::new(
                literal.span(),
                format!(
                    r#"expected a string literal such as "admin", found {} `{literal}`"#,
                    literal_kind(&other)
                ),
            )),
        },
        [TokenTree::Ident(ident)] => Err(Error::new(
            ident.span(),
            format!(
                r#"expected a string literal such as "admin", found `{ident}`: scopes are written in double quotes, e.g. "{ident}" (constants are not supported)"#
            ),
        )),
        _ => Err(Error::new_spanned(
            tokens.iter().cloned().collect::<TokenStream>(),
            r#"expected a string literal such as "admin": scopes are written as string literals (constants, paths and expressions are not supported)"#,
        )),
    }
}

fn literal_kind(lit: &Lit) -> &'static str {
    match lit {
        Lit::Int(_) => "integer literal",
        Lit::Float(_) => "float literal",
        Lit::Char(_) => "character literal",
        Lit::Byte(_) => "byte literal",
        Lit::ByteStr(_) => "byte string literal",
        Lit::CStr(_) => "C string literal",
        Lit::Bool(_) => "boolean literal",
        _ => "literal",
    }
}

/// A scope is one word (RFC 6749 §3.3 `scope-token`: printable ASCII except `"` and
/// `\`): it is matched against the space-separated `scope` claim and written into the
/// `WWW-Authenticate` challenge as a quoted string.
fn validate(lit: LitStr) -> syn::Result<LitStr> {
    let value = lit.value();
    let error = |message: String| Err(Error::new(lit.span(), message));
    if !lit.suffix().is_empty() {
        return error(format!(
            "unexpected suffix `{}` on a scope: write a plain string literal such as \"admin\"",
            lit.suffix()
        ));
    }
    if value.is_empty() {
        return error(format!(
            "a scope cannot be empty: write the scope's name, e.g. {EXAMPLE}"
        ));
    }
    if value.chars().any(char::is_whitespace) {
        let words: Vec<String> = value.split_whitespace().map(|w| format!("{w:?}")).collect();
        if words.is_empty() {
            return error(format!(
                "a scope cannot be blank: write the scope's name, e.g. {EXAMPLE}"
            ));
        }
        return error(format!(
            "scope {value:?} contains whitespace, but scopes are single words: write each scope as a \
             separate argument, e.g. #[requires_scopes({})]",
            words.join(", ")
        ));
    }
    if value.chars().any(char::is_control) {
        return error(format!(
            "scope {value:?} contains a control character, but scopes are single words of printable \
             characters such as \"admin\""
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '"' | '\\'))
    {
        return error(format!(
            "scope {value:?} contains `{c}`, which OAuth scopes cannot contain (RFC 6749 §3.3 allows \
             printable ASCII characters other than `\"` and `\\`)"
        ));
    }
    Ok(lit)
}
