use auth_rocket::requires_scopes;
use rocket::get;

#[requires_scopes(admin)]
#[get("/admin")]
fn admin() -> &'static str {
    "hi"
}

fn main() {
    let _ = rocket::build().mount("/", rocket::routes![admin]);
}
