use auth_rocket::requires_scopes;
use rocket::{get, routes};

// Scopes forwarded through `macro_rules!` fragments arrive wrapped in invisible groups.
macro_rules! scoped_route {
    ($name:ident, $path:literal, $($scope:literal),+) => {
        #[requires_scopes($($scope),+)]
        #[get($path)]
        fn $name() -> &'static str {
            stringify!($name)
        }
    };
}

scoped_route!(reports, "/reports", "read", "audit");

macro_rules! scoped_expr {
    ($scope:expr) => {
        #[requires_scopes($scope)]
        #[get("/expr")]
        fn expr() -> &'static str {
            "expr"
        }
    };
}

scoped_expr!("admin");

fn main() {
    let _ = rocket::build().mount("/", routes![reports, expr]);
}
