//! The guards, catchers and fairing through Rocket's local client: every status, header
//! and body a client can see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use auth_rocket::{
    Auth, AuthClaims, AuthConfig, AuthError, IssuerConfig, PasswordConfig, RequireScopes, User,
    scope_set,
};
use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::serde::json::Json;
use rocket::{Build, Rocket, catch, catchers, get, post, routes};
use serde_json::{Value, json};

const SECRET: &str = "guards-test-secret-guards-test-secret-0123";

scope_set!(Admin = ["admin"]);
scope_set!(ReadWrite = ["read", "write"]);

#[get("/me")]
fn me(user: User) -> String {
    user.id
}

#[get("/claims")]
fn claims(claims: AuthClaims<'_>) -> Json<AuthClaims<'_>> {
    Json(claims)
}

#[get("/admin")]
fn admin(_s: RequireScopes<Admin>, user: User) -> String {
    format!("admin {}", user.id)
}

#[get("/rw")]
fn read_write(_s: RequireScopes<ReadWrite>) -> &'static str {
    "rw"
}

#[get("/all")]
fn all_guards(
    _a: RequireScopes<Admin>,
    _b: RequireScopes<ReadWrite>,
    user: User,
    claims: AuthClaims<'_>,
) -> String {
    format!("{} {}", user.id, claims.jti.len())
}

#[get("/optional")]
fn optional(user: Option<User>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.id)
}

#[get("/result")]
fn result(user: Result<User, AuthError>) -> Result<String, AuthError> {
    Ok(format!("checked {}", user?.id))
}

#[derive(serde::Deserialize)]
struct Body {
    #[allow(dead_code)]
    n: u32,
}

#[post("/data", data = "<body>")]
fn data(_user: User, body: Json<Body>) -> String {
    body.n.to_string()
}

fn config() -> AuthConfig {
    let mut c = AuthConfig::new(IssuerConfig::hs256(SECRET));
    c.passwords = PasswordConfig::owasp_minimum();
    c
}

fn quiet() -> Figment {
    rocket::Config::figment().merge(("log_level", "off"))
}

fn app() -> Rocket<Build> {
    rocket::custom(quiet())
        .attach(Auth::from_config(config()))
        .mount(
            "/",
            routes![
                me, claims, admin, read_write, all_guards, optional, result, data
            ],
        )
}

async fn client() -> Client {
    Client::tracked(app()).await.unwrap()
}

fn token(client: &Client, extra: Value) -> String {
    client
        .rocket()
        .state::<Auth>()
        .unwrap()
        .issuer()
        .issue_access("user-1", &extra)
        .unwrap()
}

fn bearer(token: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {token}"))
}

async fn json_body(res: LocalResponse<'_>) -> Value {
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    serde_json::from_str(&res.into_string().await.unwrap()).unwrap()
}

/// The body of `GET path` sent with `token`.
async fn text(client: &Client, path: &str, token: &str) -> String {
    let res = client
        .get(path.to_owned())
        .header(bearer(token))
        .dispatch()
        .await;
    res.into_string().await.unwrap_or_default()
}

fn challenge<'a>(res: &'a LocalResponse<'_>) -> Option<&'a str> {
    res.headers().get_one("WWW-Authenticate")
}

#[rocket::async_test]
async fn missing_token_is_401_with_a_plain_bearer_challenge() {
    let client = client().await;
    for path in ["/me", "/claims", "/admin", "/rw", "/all"] {
        let res = client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Unauthorized, "{path}");
        assert_eq!(challenge(&res), Some("Bearer"), "{path}");
        assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
        assert_eq!(
            json_body(res).await,
            json!({"detail": "Missing bearer token"}),
            "{path}"
        );
    }
    // Another scheme is not bearer credentials: same answer.
    let res = client
        .get("/me")
        .header(Header::new("Authorization", "Basic dXNlcjpwYXNz"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(challenge(&res), Some("Bearer"));
}

#[rocket::async_test]
async fn a_rejected_token_is_401_invalid_token() {
    let client = client().await;
    let issuer = client.rocket().state::<Auth>().unwrap().issuer().clone();
    let refresh = issuer.issue_refresh("user-1", &()).unwrap();
    let foreign = auth_rocket::Issuer::new(IssuerConfig::hs256(
        "another-secret-another-secret-another!!",
    ))
    .unwrap()
    .issue_access("user-1", &())
    .unwrap();
    for bad in [
        "garbage",
        "a.b.c",
        refresh.as_str(),
        foreign.as_str(),
        &"x".repeat(9000),
    ] {
        let res = client.get("/me").header(bearer(bad)).dispatch().await;
        assert_eq!(res.status(), Status::Unauthorized);
        assert_eq!(challenge(&res), Some(r#"Bearer error="invalid_token""#));
        assert_eq!(
            json_body(res).await,
            json!({"detail": "Invalid or expired token"})
        );
    }
}

#[rocket::async_test]
async fn the_authorization_header_is_parsed_strictly() {
    let client = client().await;
    let good = token(&client, json!({}));
    for ok in [
        format!("Bearer {good}"),
        format!("bearer {good}"),
        format!("BEARER   {good}"),
    ] {
        let res = client
            .get("/me")
            .header(Header::new("Authorization", ok.clone()))
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Ok, "{ok}");
    }
    for bad in [
        format!("Bearer {good} extra"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer \"{good}\""),
    ] {
        let res = client
            .get("/me")
            .header(Header::new("Authorization", bad.clone()))
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::Unauthorized, "{bad}");
        assert_eq!(
            challenge(&res),
            Some(r#"Bearer error="invalid_token""#),
            "{bad}"
        );
    }
    // Two Authorization headers: ambiguous, refused.
    let res = client
        .get("/me")
        .header(bearer(&good))
        .header(bearer(&good))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn valid_tokens_pass_every_guard() {
    let client = client().await;
    let t = token(
        &client,
        json!({"scope": "admin read write", "role": "owner"}),
    );
    let res = client.get("/me").header(bearer(&t)).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.into_string().await.unwrap(), "user-1");

    let body = json_body(client.get("/claims").header(bearer(&t)).dispatch().await).await;
    assert_eq!(body["sub"], "user-1");
    assert_eq!(body["type"], "access");
    assert_eq!(body["role"], "owner");
    assert_eq!(body["scope"], "admin read write");

    assert_eq!(text(&client, "/admin", &t).await, "admin user-1");
    assert_eq!(text(&client, "/rw", &t).await, "rw");
    assert_eq!(text(&client, "/all", &t).await, "user-1 32");
}

#[rocket::async_test]
async fn missing_scopes_are_403_with_the_seeds_text_and_an_insufficient_scope_challenge() {
    let client = client().await;
    let t = token(&client, json!({"scope": "read"}));
    let res = client.get("/admin").header(bearer(&t)).dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(
        challenge(&res),
        Some(r#"Bearer error="insufficient_scope", scope="admin""#)
    );
    assert_eq!(
        json_body(res).await,
        json!({"detail": "Missing scopes: admin"})
    );

    let none = token(&client, json!({}));
    let res = client.get("/rw").header(bearer(&none)).dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(
        challenge(&res),
        Some(r#"Bearer error="insufficient_scope", scope="read write""#)
    );
    assert_eq!(
        json_body(res).await,
        json!({"detail": "Missing scopes: read, write"})
    );

    // `scopes` as a list works too; `scope` wins over `scopes`.
    let list = token(&client, json!({"scopes": ["admin"]}));
    assert_eq!(
        client
            .get("/admin")
            .header(bearer(&list))
            .dispatch()
            .await
            .status(),
        Status::Ok
    );
    let both = token(&client, json!({"scope": "read", "scopes": ["admin"]}));
    assert_eq!(
        client
            .get("/admin")
            .header(bearer(&both))
            .dispatch()
            .await
            .status(),
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn optional_auth_with_option_and_result() {
    let client = client().await;
    let t = token(&client, json!({}));
    assert_eq!(
        client
            .get("/optional")
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap(),
        "anonymous"
    );
    assert_eq!(
        client
            .get("/optional")
            .header(bearer("bad"))
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap(),
        "anonymous"
    );
    assert_eq!(text(&client, "/optional", &t).await, "user-1");

    let res = client.get("/result").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(challenge(&res), Some("Bearer"));
    assert_eq!(
        json_body(res).await,
        json!({"detail": "Missing bearer token"})
    );
    assert_eq!(text(&client, "/result", &t).await, "checked user-1");
}

#[rocket::async_test]
async fn auth_runs_before_the_body_is_parsed() {
    let client = client().await;
    let res = client
        .post("/data")
        .header(ContentType::JSON)
        .body("{not json")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
    let t = token(&client, json!({}));
    let res = client
        .post("/data")
        .header(ContentType::JSON)
        .header(bearer(&t))
        .body(r#"{"n": 7}"#)
        .dispatch()
        .await;
    assert_eq!(res.into_string().await.unwrap(), "7");
}

#[rocket::async_test]
async fn a_route_with_a_guard_but_no_fairing_aborts_the_launch() {
    for rocket in [
        rocket::custom(quiet()).mount("/", routes![me]),
        rocket::custom(quiet()).mount("/", routes![claims]),
        rocket::custom(quiet()).mount("/", routes![admin]),
        rocket::custom(quiet()).mount("/", routes![optional]),
    ] {
        let Err(err) = Client::tracked(rocket).await else {
            panic!("launch must abort")
        };
        assert!(
            matches!(err.kind(), rocket::error::ErrorKind::SentinelAborts(_)),
            "{err}"
        );
    }
}

#[rocket::async_test]
async fn bad_or_missing_configuration_aborts_the_launch() {
    let cases = [
        quiet(),                                     // no secret at all
        quiet().merge(("auth.secret", "too-short")), // weak secret
        quiet()
            .merge(("auth.secret", SECRET))
            .merge(("auth.algorithm", "RS256")), // secret for RS256
        quiet().merge(("auth.algorithm", "none")),   // unknown algorithm
        quiet()
            .merge(("auth.secret", SECRET))
            .merge(("auth.access_ttl", "soon")), // wrong type
    ];
    for figment in cases {
        let rocket = rocket::custom(figment)
            .attach(Auth::fairing())
            .mount("/", routes![me]);
        let Err(err) = Client::tracked(rocket).await else {
            panic!("launch must abort")
        };
        assert!(
            matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(_)),
            "{err}"
        );
    }
}

#[rocket::async_test]
async fn the_fairing_reads_the_figment_and_auth_star_overrides() {
    // `auth_secret` is what Rocket's environment provider makes of ROCKET_AUTH_SECRET.
    let figment = quiet()
        .merge(("auth.secret", "file-secret-is-too-short"))
        .merge(("auth_secret", SECRET))
        .merge(("auth.issuer", "from-file"))
        .merge(("auth_access_ttl", 120));
    let client = Client::tracked(
        rocket::custom(figment)
            .attach(Auth::fairing())
            .mount("/", routes![me]),
    )
    .await
    .unwrap();
    let issuer = client.rocket().state::<Auth>().unwrap().issuer();
    assert_eq!(issuer.access_ttl(), 120);
    let claims = issuer
        .verify_access(&issuer.issue_access("u", &()).unwrap())
        .unwrap();
    assert_eq!(claims.iss.as_deref(), Some("from-file"));
    // Tokens from an issuer with the same secret verify: the env secret won.
    let other = auth_rocket::Issuer::new({
        let mut c = IssuerConfig::hs256(SECRET);
        c.issuer = Some("from-file".into());
        c
    })
    .unwrap();
    let res = client
        .get("/me")
        .header(bearer(&other.issue_access("u2", &()).unwrap()))
        .dispatch()
        .await;
    assert_eq!(res.into_string().await.unwrap(), "u2");
}

#[catch(401)]
fn my_unauthorized(req: &rocket::Request<'_>) -> String {
    format!(
        "custom: {}",
        auth_rocket::last_failure(req)
            .map(|e| e.to_string())
            .unwrap_or_default()
    )
}

#[rocket::async_test]
async fn an_applications_own_catchers_keep_working() {
    let rocket = app().register("/", catchers![my_unauthorized]);
    let client = Client::tracked(rocket).await.expect("no catcher collision");
    let res = client.get("/me").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(
        res.into_string().await.unwrap(),
        "custom: Missing bearer token"
    );
    // Our 403 catcher is still there for the codes the app does not handle.
    let t = token(&client, json!({}));
    let res = client.get("/admin").header(bearer(&t)).dispatch().await;
    assert_eq!(
        json_body(res).await,
        json!({"detail": "Missing scopes: admin"})
    );
}

#[rocket::async_test]
async fn without_catchers_the_app_decides() {
    let rocket = rocket::custom(quiet())
        .attach(Auth::from_config(config()).without_catchers())
        .mount("/", routes![me, result]);
    let client = Client::tracked(rocket).await.unwrap();
    let res = client.get("/me").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_ne!(
        res.content_type(),
        Some(ContentType::JSON),
        "Rocket's default catcher"
    );
    // A handler returning AuthError still answers in JSON.
    let res = client.get("/result").dispatch().await;
    assert_eq!(
        json_body(res).await,
        json!({"detail": "Missing bearer token"})
    );
}
