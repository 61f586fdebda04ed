use auth_rocket::{User, requires_scopes};
use rocket::{get, routes};

// All three attributes apply: read AND write AND audit.
#[requires_scopes("read", "write")]
#[requires_scopes("audit")]
#[requires_scopes("admin")]
#[get("/records/<id>")]
fn records(id: u32, user: User) -> String {
    format!("{id} for {user}")
}

fn main() {
    let _ = rocket::build().mount("/", routes![records]);
}
