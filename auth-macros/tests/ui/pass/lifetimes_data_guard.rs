use auth_rocket::{AuthClaims, requires_scopes};
use rocket::serde::json::Json;
use rocket::serde::{Deserialize, Serialize};
use rocket::{post, put, routes};

#[derive(Debug, Deserialize, Serialize)]
#[serde(crate = "rocket::serde")]
struct Item<'a> {
    name: &'a str,
    count: u32,
}

// Path parameter, borrowed request guard, data guard, explicit lifetime.
#[requires_scopes("write")]
#[put("/items/<id>", data = "<body>")]
fn update<'r>(id: u64, claims: AuthClaims<'r>, body: Json<Item<'r>>) -> Json<Item<'r>> {
    let _ = (id, &claims.sub);
    body
}

#[requires_scopes("write")]
#[post("/notes/<folder>/<name>", format = "json", data = "<body>")]
async fn create(folder: &str, name: &str, body: Json<Item<'_>>) -> String {
    format!("{folder}/{name}: {} x {}", body.name, body.count)
}

fn main() {
    let _ = rocket::build().mount("/", routes![update, create]);
}
