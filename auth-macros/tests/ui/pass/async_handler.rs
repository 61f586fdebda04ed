use auth_rocket::{User, requires_scopes};
use rocket::{get, routes};

#[requires_scopes("admin")]
#[get("/admin")]
async fn admin(user: User) -> String {
    rocket::tokio::task::yield_now().await;
    format!("hi {}", user.id)
}

// No parameters of its own: the injected guard is the only one.
#[requires_scopes("ping")]
#[get("/ping")]
async fn ping() -> &'static str {
    "pong"
}

fn main() {
    let _ = rocket::build().mount("/", routes![admin, ping]);
}
