use auth_rocket::requires_scopes;

#[requires_scopes("admin")]
fn admin() -> &'static str {
    "hi"
}

fn main() {
    let _ = admin();
}
