//! Code generation: a hidden marker type implementing `ScopeSet`, and a
//! `RequireScopes<Marker>` guard prepended to the handler's parameters.

use std::fmt::Write as _;

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Error, FnArg, Item, LitStr, Pat, Signature, Visibility};

use crate::args::{self, Errors};

/// The last path segment of each Rocket route attribute (`#[get]`, `#[rocket::get]`).
const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "put", "post", "delete", "head", "patch", "options", "route",
];

/// The name of every injected parameter starts with this; counting them numbers the
/// stacked attributes.
const INJECTED_PREFIX: &str = "__auth_scopes_";

const ORDER_MESSAGE: &str = "#[requires_scopes] must be placed ABOVE the Rocket route attribute \
     (#[get], #[post], ...), because the route attribute reads the function's parameters; \
     no route attribute was found below this one";

/// The attribute: on success the marker type and the rewritten handler; on error the
/// errors and the item exactly as written, so that the error is the only one.
pub(crate) fn requires_scopes(args: TokenStream, item: TokenStream) -> TokenStream {
    match (args::parse(args), Handler::parse_checked(item.clone())) {
        (Ok(scopes), Ok(handler)) => match expand(&scopes, handler) {
            Ok(expansion) => {
                if debug_enabled() {
                    eprintln!("{}", expansion.describe());
                }
                expansion.into_tokens()
            }
            Err(e) => fallback(e, item),
        },
        (scopes, handler) => {
            let mut errors = Errors::default();
            for e in [scopes.err(), handler.err()].into_iter().flatten() {
                errors.push(e);
            }
            match errors.finish() {
                Err(e) => fallback(e, item),
                Ok(()) => item,
            }
        }
    }
}

fn fallback(error: Error, item: TokenStream) -> TokenStream {
    let error = error.into_compile_error();
    quote! { #error #item }
}

/// `AUTH_MACROS_DEBUG=1` (any value but empty or `0`) prints every expansion.
fn debug_enabled() -> bool {
    std::env::var_os("AUTH_MACROS_DEBUG").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A function item, its body kept as raw tokens: the body is re-emitted untouched and
/// need not be parseable by syn.
struct Handler {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: Group,
}

impl Parse for Handler {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body: Group = input.parse()?;
        if body.delimiter() != Delimiter::Brace {
            return Err(Error::new(
                body.span(),
                "expected the function's body in braces",
            ));
        }
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl Handler {
    /// Parses the item and checks that it is a function the attribute can rewrite: a
    /// free function with an unexpanded Rocket route attribute below ours.
    fn parse_checked(item: TokenStream) -> syn::Result<Self> {
        let handler = match syn::parse2::<Self>(item.clone()) {
            Ok(handler) => handler,
            Err(e) => return Err(not_a_function(item, e)),
        };
        let mut errors = Errors::default();
        if let Some(receiver) = handler.sig.receiver() {
            errors.push(Error::new_spanned(
                receiver,
                "#[requires_scopes] cannot be used on a method: Rocket route handlers are free functions \
                 without `self`",
            ));
        }
        if !handler.attrs.iter().any(is_route_attribute) {
            errors.push(Error::new(Span::call_site(), ORDER_MESSAGE));
        }
        errors.finish()?;
        Ok(handler)
    }
}

/// The error for an item that does not parse as a function with a body.
fn not_a_function(item: TokenStream, fn_error: Error) -> Error {
    let what = match syn::parse2::<Item>(item) {
        // A function syn reads differently from us: say what is wrong with it.
        Ok(Item::Fn(_)) => return fn_error,
        Ok(Item::Struct(_)) => "a struct",
        Ok(Item::Enum(_)) => "an enum",
        Ok(Item::Union(_)) => "a union",
        Ok(Item::Impl(_)) => "an impl block",
        Ok(Item::Trait(_)) => "a trait",
        Ok(Item::Const(_)) => "a constant",
        Ok(Item::Static(_)) => "a static",
        Ok(Item::Mod(_)) => "a module",
        Ok(Item::Type(_)) => "a type alias",
        Ok(Item::Use(_)) => "a `use` declaration",
        Ok(Item::Macro(_)) => "a macro invocation",
        Ok(Item::ForeignMod(_)) => "an `extern` block",
        Ok(_) | Err(_) => "this item",
    };
    Error::new(
        Span::call_site(),
        format!(
            "#[requires_scopes] can only be applied to a Rocket route handler \
             (a `fn` with #[get], #[post], ...), not to {what}"
        ),
    )
}

/// `#[get(..)]`, `#[rocket::post(..)]`, `#[route(..)]`, ...: recognised by the last path
/// segment, so renamed imports (`use rocket::get as fetch`) are not.
fn is_route_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| ROUTE_ATTRIBUTES.iter().any(|name| last.ident == name))
}

/// A parameter added by an earlier (outer) `#[requires_scopes]`.
fn is_injected(arg: &FnArg) -> bool {
    match arg {
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(p) => p.ident.to_string().starts_with(INJECTED_PREFIX),
            _ => false,
        },
        FnArg::Receiver(_) => false,
    }
}

/// The generated code, in pieces (for `AUTH_MACROS_DEBUG`).
struct Expansion {
    name: String,
    marker: TokenStream,
    scope_set: TokenStream,
    handler: Handler,
}

fn expand(scopes: &[LitStr], mut handler: Handler) -> syn::Result<Expansion> {
    // In an attribute macro the call site is the attribute: errors in the generated
    // code (say `auth_rocket` is not a dependency) point at it.
    let span = Span::call_site();
    let n = handler
        .sig
        .inputs
        .iter()
        .filter(|arg| is_injected(arg))
        .count();
    // After the guards of the attributes above this one (expanded earlier), before every
    // parameter of the user's: guards run left to right, so stacked attributes are
    // checked top-down, and all of them before any other guard or the body.
    let position = handler
        .sig
        .inputs
        .iter()
        .take_while(|arg| is_injected(arg))
        .count();
    let fn_name = handler.sig.ident.unraw();
    // Not the fn's name: Rocket's route attribute declares `struct <fn name>`.
    let marker_name = format_ident!("{INJECTED_PREFIX}{fn_name}_{n}", span = span);
    let param = format_ident!("{INJECTED_PREFIX}{n}", span = span);
    let vis = &handler.vis;

    let marker = quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(
            non_camel_case_types,
            dead_code,
            missing_docs,
            missing_debug_implementations,
            unreachable_pub
        )]
        #vis struct #marker_name;
    };
    let scope_set = quote_spanned! {span=>
        impl ::auth_rocket::__private::ScopeSet for #marker_name {
            const SCOPES: &'static [&'static ::core::primitive::str] = &[#(#scopes),*];
        }
    };
    let guard: FnArg = syn::parse2(quote_spanned! {span=>
        #param: ::auth_rocket::__private::RequireScopes<#marker_name>
    })?;
    handler.sig.inputs.insert(position, guard);
    Ok(Expansion {
        name: fn_name.to_string(),
        marker,
        scope_set,
        handler,
    })
}

impl Expansion {
    fn into_tokens(self) -> TokenStream {
        let Self {
            marker,
            scope_set,
            handler,
            ..
        } = self;
        let Handler {
            attrs,
            vis,
            sig,
            body,
        } = handler;
        quote! {
            #marker
            #scope_set
            #(#attrs)*
            #vis #sig #body
        }
    }

    /// The expansion, one item or attribute a line.
    fn describe(&self) -> String {
        let mut out = format!(
            "auth-macros: #[requires_scopes] on `{}` expands to:\n",
            self.name
        );
        let _ = writeln!(out, "{}", self.marker);
        let _ = writeln!(out, "{}", self.scope_set);
        let Handler {
            attrs,
            vis,
            sig,
            body,
        } = &self.handler;
        for attr in attrs {
            let _ = writeln!(out, "{}", quote!(#attr));
        }
        let _ = write!(out, "{}", quote!(#vis #sig #body));
        out
    }
}
