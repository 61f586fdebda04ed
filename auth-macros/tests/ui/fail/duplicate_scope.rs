use auth_rocket::requires_scopes;
use rocket::get;

#[requires_scopes("read", "write", "read")]
#[get("/records")]
fn records() -> &'static str {
    "hi"
}

fn main() {
    let _ = rocket::build().mount("/", rocket::routes![records]);
}
