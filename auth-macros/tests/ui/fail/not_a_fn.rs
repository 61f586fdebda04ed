use auth_rocket::requires_scopes;

#[requires_scopes("admin")]
struct Admin;

fn main() {
    let _ = Admin;
}
