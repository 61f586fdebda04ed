//! The JWKS route and key rings configured from Rocket's figment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use auth_rocket::{Auth, User};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use serde_json::Value;

fn key_path(name: &str) -> String {
    format!(
        "{}/../auth-core/tests/data/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[get("/me")]
fn me(user: User) -> String {
    user.id
}

fn figment() -> rocket::figment::Figment {
    rocket::Config::figment().merge(("log_level", "off")).merge((
        "auth.keys",
        serde_json::json!([
            {"kid": "2026-11", "algorithm": "ES256", "private_key_path": key_path("p256.pem"), "active": true},
            {"kid": "2026-08", "algorithm": "ES256", "public_key_path": key_path("p256-other.pub.pem")},
            {"kid": "ed", "algorithm": "EdDSA", "private_key_path": key_path("ed25519.pem")}
        ]),
    ))
}

#[rocket::async_test]
async fn the_jwks_route_serves_the_public_keys_with_cache_headers() {
    let rocket = rocket::custom(figment().merge(("auth.jwks_max_age", 120)))
        .attach(Auth::fairing())
        .mount("/", auth_rocket::jwks_routes())
        .mount("/", routes![me]);
    let client = Client::tracked(rocket).await.unwrap();
    let res = client.get("/.well-known/jwks.json").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    assert_eq!(
        res.headers().get_one("Cache-Control"),
        Some("public, max-age=120")
    );
    let jwks: Value = res.into_json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["2026-11", "2026-08", "ed"]);
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none())
    );

    // Tokens signed by the active key open guarded routes.
    let token = client
        .rocket()
        .state::<Auth>()
        .unwrap()
        .issuer()
        .issue_access("u", &())
        .unwrap();
    let res = client
        .get("/me")
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    assert_eq!(res.into_string().await.unwrap(), "u");
}

#[rocket::async_test]
async fn a_bad_key_in_the_ring_stops_the_launch() {
    let bad = figment().merge(("auth.keys", serde_json::json!([{"kid": "x", "algorithm": "ES256", "private_key_path": "/nonexistent.pem"}])));
    let rocket = rocket::custom(bad)
        .attach(Auth::fairing())
        .mount("/", routes![me]);
    let Err(e) = Client::tracked(rocket).await else {
        panic!("launch must abort")
    };
    assert!(
        matches!(e.kind(), rocket::error::ErrorKind::FailedFairings(_)),
        "{e}"
    );
}
