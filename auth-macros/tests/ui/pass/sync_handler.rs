use auth_rocket::{User, requires_scopes};
use rocket::{get, routes};

#[requires_scopes("admin")]
#[get("/admin")]
fn admin(user: User) -> String {
    format!("hi {}", user.id)
}

fn main() {
    let _ = rocket::build().mount("/", routes![admin]);
}
