use auth_rocket::requires_scopes;

#[requires_scopes("admin")]
#[rocket::get("/by-path")]
fn by_path() -> &'static str {
    "ok"
}

#[requires_scopes("admin")]
#[rocket::route(GET, uri = "/by-route")]
fn by_route() -> &'static str {
    "ok"
}

#[requires_scopes("admin")]
#[::rocket::patch("/absolute")]
fn absolute() -> &'static str {
    "ok"
}

mod every_method {
    use auth_rocket::requires_scopes;
    use rocket::{delete, head, options, post, put, route};

    #[requires_scopes("m")]
    #[post("/")]
    pub fn a() {}

    #[requires_scopes("m")]
    #[put("/")]
    pub fn b() {}

    #[requires_scopes("m")]
    #[delete("/")]
    pub fn c() {}

    #[requires_scopes("m")]
    #[head("/")]
    pub fn d() {}

    #[requires_scopes("m")]
    #[options("/")]
    pub fn e() {}

    #[requires_scopes("m")]
    #[route(PATCH, uri = "/")]
    pub fn f() {}
}

fn main() {
    use every_method::*;
    let _ = rocket::build().mount(
        "/",
        rocket::routes![by_path, by_route, absolute, a, b, c, d, e, f],
    );
}
