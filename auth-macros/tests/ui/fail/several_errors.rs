// Every mistake is reported at once, each at its own token: the errors are combined.
use auth_rocket::requires_scopes;
use rocket::get;

#[get("/admin")]
#[requires_scopes(admin, "", "read write", "x", "x")]
fn admin() -> &'static str {
    "hi"
}

fn main() {
    let _ = rocket::build().mount("/", rocket::routes![admin]);
}
