//! The `#[requires_scopes(..)]` attribute of [`auth-rocket`](https://docs.rs/auth-rocket).
//!
//! **Depend on `auth-rocket`, not on this crate.** `auth-rocket` re-exports the attribute
//! as `auth_rocket::requires_scopes` (feature `macros`, on by default) with its
//! documentation and examples, and the generated code names `::auth_rocket`, so it
//! does not compile without it (nor with `auth-rocket` renamed in `Cargo.toml`).
//!
//! ```text
//! #[requires_scopes("read", "write")]
//! #[get("/x")]
//! fn x() -> &'static str { "ok" }
//! ```
//!
//! expands to a hidden marker type implementing `auth_rocket::__private::ScopeSet` with
//! `SCOPES = &["read", "write"]`, and prepends the guard parameter
//! `__auth_scopes_0: auth_rocket::__private::RequireScopes<marker>` to the handler
//! before `#[get]` reads its parameters. The body and return type are not touched.
//!
//! Set `AUTH_MACROS_DEBUG=1` while compiling to print every expansion to stderr (cargo
//! does not rebuild for a changed variable: touch the file that uses the attribute).

use proc_macro::TokenStream;

mod args;
mod expand;

/// Requires scopes on a Rocket route. Documented on its re-export,
/// `auth_rocket::requires_scopes`.
#[proc_macro_attribute]
pub fn requires_scopes(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::requires_scopes(args.into(), item.into()).into()
}
