use auth_rocket::{User, requires_scopes};
use rocket::{get, routes, uri};

#[requires_scopes("admin")]
#[get("/admin")]
fn admin(user: User) -> String {
    user.id
}

// `uri!` takes the route's path and query parameters only: the injected guard (like any
// request guard) is not one of them.
#[requires_scopes("read")]
#[get("/items/<id>?<verbose>")]
fn item(id: u32, verbose: bool, user: User) -> String {
    format!("{id} {verbose} {user}")
}

fn main() {
    assert_eq!(uri!(admin).to_string(), "/admin");
    assert_eq!(
        uri!(item(id = 7, verbose = true)).to_string(),
        "/items/7?verbose=true"
    );
    assert_eq!(uri!(item(3, false)).to_string(), "/items/3?verbose=false");
    let _ = rocket::build().mount("/", routes![admin, item]);
}
