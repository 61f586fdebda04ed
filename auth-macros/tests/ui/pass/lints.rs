//! The generated code trips none of the lints the workspace (and strict users) enable.
#![deny(
    warnings,
    unused,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    non_camel_case_types,
    nonstandard_style,
    rust_2018_idioms,
    unsafe_code
)]

mod routes {
    use auth_rocket::{User, requires_scopes};
    use rocket::get;

    /// Public in a private module (`unreachable_pub` territory).
    #[requires_scopes("admin")]
    #[get("/admin")]
    pub(crate) fn admin(user: User) -> String {
        user.id
    }
}

fn main() {
    let _ = rocket::build().mount("/", rocket::routes![routes::admin]);
}
