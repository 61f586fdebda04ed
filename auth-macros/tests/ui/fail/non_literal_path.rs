use auth_rocket::requires_scopes;
use rocket::get;

mod scopes {
    pub const ADMIN: &str = "admin";
}

#[requires_scopes(scopes::ADMIN)]
#[get("/admin")]
fn admin() -> &'static str {
    scopes::ADMIN
}

fn main() {
    let _ = rocket::build().mount("/", rocket::routes![admin]);
}
