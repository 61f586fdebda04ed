//! A public handler keeps its visibility and its documentation.
#![deny(missing_docs)]

/// The routes.
pub mod api {
    use auth_rocket::{User, requires_scopes};
    use rocket::get;

    /// Greets an administrator.
    ///
    /// Requires the `admin` scope.
    #[requires_scopes("admin")]
    #[get("/admin")]
    #[allow(clippy::needless_pass_by_value)]
    pub fn admin(user: User) -> String {
        format!("hi {}", user.id)
    }

    /// Crate-visible handlers work as well.
    #[requires_scopes("admin")]
    #[get("/crate")]
    pub(crate) fn in_crate() -> &'static str {
        "ok"
    }
}

fn main() {
    let _ = rocket::build().mount("/", rocket::routes![api::admin, api::in_crate]);
}
