use auth_rocket::requires_scopes;
use rocket::{get, post, routes};

// Two scoped routes side by side, the same scope, names that share a prefix: no clash
// between the generated types.
#[requires_scopes("admin")]
#[get("/a")]
fn a() -> &'static str {
    "a"
}

#[requires_scopes("admin")]
#[post("/a")]
fn a_0() -> &'static str {
    "a_0"
}

#[requires_scopes("admin")]
#[requires_scopes("other")]
#[get("/b")]
fn b() -> &'static str {
    "b"
}

// A raw identifier as the handler's name.
#[requires_scopes("admin")]
#[get("/type")]
fn r#type() -> &'static str {
    "type"
}

fn main() {
    let _ = rocket::build().mount("/", routes![a, a_0, b, r#type]);
}
