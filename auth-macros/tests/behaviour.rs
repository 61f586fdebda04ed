//! `#[requires_scopes]` end to end: real requests through Rocket's local client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_rocket::{Auth, AuthConfig, IssuerConfig, User, requires_scopes};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::serde::Deserialize;
use rocket::serde::json::{Json, Value, json};
use rocket::{Build, Rocket, delete, get, post, routes};

#[requires_scopes("admin")]
#[get("/admin")]
fn admin(user: User) -> String {
    format!("hello admin {}", user.id)
}

#[requires_scopes("read")]
#[requires_scopes("admin")]
#[get("/stacked")]
async fn stacked() -> &'static str {
    "stacked ok"
}

#[derive(Deserialize)]
#[serde(crate = "rocket::serde")]
struct Item {
    name: String,
}

#[requires_scopes("write")]
#[post("/items", format = "json", data = "<item>")]
fn create(item: Json<Item>) -> String {
    format!("created {}", item.name)
}

#[requires_scopes("write", "admin", "delete")]
#[delete("/multi")]
fn multi() -> &'static str {
    "multi ok"
}

fn app() -> Rocket<Build> {
    let issuer = IssuerConfig::hs256("a-test-secret-of-at-least-32-bytes!!");
    let figment = rocket::Config::figment().merge(("log_level", "off"));
    rocket::custom(figment)
        .attach(Auth::from_config(AuthConfig::new(issuer)))
        .mount("/", routes![admin, stacked, create, multi])
}

async fn client() -> Client {
    Client::tracked(app())
        .await
        .expect("the test rocket launches")
}

/// An access token for `user` whose `scope` claim is `scope` (`None`: no claim at all).
fn token(client: &Client, scope: Option<&str>) -> Header<'static> {
    let extra = match scope {
        Some(scope) => json!({ "scope": scope }),
        None => json!({}),
    };
    let auth = client
        .rocket()
        .state::<Auth>()
        .expect("the fairing installs Auth");
    let token = auth
        .issuer()
        .issue_access("user", &extra)
        .expect("issue a token");
    Header::new("Authorization", format!("Bearer {token}"))
}

async fn body(response: LocalResponse<'_>) -> String {
    response.into_string().await.unwrap_or_default()
}

async fn assert_forbidden(response: LocalResponse<'_>, missing: &str, challenge_scope: &str) {
    assert_eq!(response.status(), Status::Forbidden);
    assert_eq!(
        response.headers().get_one("WWW-Authenticate"),
        Some(format!(r#"Bearer error="insufficient_scope", scope="{challenge_scope}""#).as_str())
    );
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let body = body(response).await;
    let detail: Value = rocket::serde::json::from_str(&body).expect("a JSON body");
    assert_eq!(
        detail,
        json!({ "detail": format!("Missing scopes: {missing}") }),
        "body: {body}"
    );
}

#[rocket::async_test]
async fn no_token_is_401() {
    let client = client().await;
    let response = client.get("/admin").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        response.headers().get_one("WWW-Authenticate"),
        Some("Bearer")
    );
    assert_eq!(body(response).await, r#"{"detail":"Missing bearer token"}"#);
}

#[rocket::async_test]
async fn garbage_token_is_401() {
    let client = client().await;
    let response = client
        .get("/admin")
        .header(Header::new("Authorization", "Bearer not.a.jwt"))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);
    assert_eq!(
        response.headers().get_one("WWW-Authenticate"),
        Some(r#"Bearer error="invalid_token""#)
    );
}

#[rocket::async_test]
async fn token_without_the_scope_is_403() {
    let client = client().await;
    for scope in [
        None,
        Some(""),
        Some("read"),
        Some("read write administrator"),
    ] {
        let response = client
            .get("/admin")
            .header(token(&client, scope))
            .dispatch()
            .await;
        assert_forbidden(response, "admin", "admin").await;
    }
    // The exact body.
    let response = client
        .get("/admin")
        .header(token(&client, Some("read")))
        .dispatch()
        .await;
    assert_eq!(
        body(response).await,
        r#"{"detail":"Missing scopes: admin"}"#
    );
}

#[rocket::async_test]
async fn token_with_the_scope_reaches_the_handler() {
    let client = client().await;
    let response = client
        .get("/admin")
        .header(token(&client, Some("admin read")))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(body(response).await, "hello admin user");
}

#[rocket::async_test]
async fn stacked_attributes_require_every_scope() {
    let client = client().await;
    let ok = client
        .get("/stacked")
        .header(token(&client, Some("admin read")))
        .dispatch()
        .await;
    assert_eq!(ok.status(), Status::Ok);
    assert_eq!(body(ok).await, "stacked ok");

    let response = client
        .get("/stacked")
        .header(token(&client, Some("admin")))
        .dispatch()
        .await;
    assert_forbidden(response, "read", "read").await;
    let response = client
        .get("/stacked")
        .header(token(&client, Some("read")))
        .dispatch()
        .await;
    assert_forbidden(response, "admin", "admin").await;
    // Top-down: the upper attribute's guard runs first.
    let response = client
        .get("/stacked")
        .header(token(&client, Some("write")))
        .dispatch()
        .await;
    assert_forbidden(response, "read", "read").await;
    let response = client.get("/stacked").dispatch().await;
    assert_eq!(response.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn the_guard_runs_before_the_body_is_parsed() {
    let client = client().await;
    let malformed = "{ this is not json";

    // No token: 401, not the data guard's 400/422.
    let response = client
        .post("/items")
        .header(ContentType::JSON)
        .body(malformed)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Unauthorized);

    // A token without the scope: 403, still before the body.
    let response = client
        .post("/items")
        .header(ContentType::JSON)
        .header(token(&client, Some("admin read")))
        .body(malformed)
        .dispatch()
        .await;
    assert_forbidden(response, "write", "write").await;

    // With the scope the body is parsed: now the malformed body is the problem.
    let response = client
        .post("/items")
        .header(ContentType::JSON)
        .header(token(&client, Some("write")))
        .body(malformed)
        .dispatch()
        .await;
    assert!(
        response.status() == Status::BadRequest || response.status() == Status::UnprocessableEntity
    );

    let response = client
        .post("/items")
        .header(ContentType::JSON)
        .header(token(&client, Some("write")))
        .body(r#"{"name": "pen"}"#)
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(body(response).await, "created pen");
}

#[rocket::async_test]
async fn missing_scopes_are_listed_in_declared_order() {
    let client = client().await;
    let response = client
        .delete("/multi")
        .header(token(&client, Some("admin read")))
        .dispatch()
        .await;
    assert_forbidden(response, "write, delete", "write admin delete").await;

    let response = client
        .delete("/multi")
        .header(token(&client, None))
        .dispatch()
        .await;
    assert_forbidden(response, "write, admin, delete", "write admin delete").await;

    let response = client
        .delete("/multi")
        .header(token(&client, Some("delete admin write")))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(body(response).await, "multi ok");
}

#[rocket::async_test]
async fn a_scoped_route_without_the_fairing_aborts_the_launch() {
    let rocket = rocket::custom(rocket::Config::figment().merge(("log_level", "off")))
        .mount("/", routes![admin]);
    let error = Client::tracked(rocket)
        .await
        .expect_err("the sentinel stops the launch");
    assert!(
        matches!(error.kind(), rocket::error::ErrorKind::SentinelAborts(_)),
        "{error:?}"
    );
}
