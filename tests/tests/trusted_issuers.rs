//! Tokens of a trusted third-party issuer through the guards: a route can accept ours,
//! theirs, or both, and scopes work the same on theirs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use auth_rocket::auth_core::{KeyConfig, TrustedIssuerConfig};
use auth_rocket::{
    Algorithm, Auth, AuthConfig, External, Issuer, IssuerConfig, Local, RequireScopes, Secret,
    User, scope_set,
};
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use serde_json::json;

const OUR_SECRET: &str = "our-own-secret-our-own-secret-our-own-secret";

scope_set!(Admin = ["admin"]);

#[get("/ours")]
fn ours(user: User<Local>) -> String {
    user.id
}

#[get("/theirs")]
fn theirs(user: User<External>) -> String {
    format!("{} from {}", user.id, user.issuer.unwrap_or_default())
}

#[get("/both")]
fn both(user: User) -> String {
    user.id
}

#[get("/admin-theirs")]
fn admin_theirs(_admin: RequireScopes<Admin, External>) -> &'static str {
    "admin"
}

/// A JWKS endpoint on loopback whose document can be set after it started (the issuer
/// must know the URL to name itself) and that can be switched off.
struct Provider {
    url: String,
    jwks: Arc<Mutex<String>>,
    up: Arc<AtomicBool>,
}

fn provider() -> Provider {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let jwks = Arc::new(Mutex::new(String::new()));
    let up = Arc::new(AtomicBool::new(true));
    let (document, serving) = (jwks.clone(), up.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = document.lock().unwrap().clone();
            let response = if serving.load(Ordering::SeqCst) {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    Provider { url, jwks, up }
}

fn key(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../auth-core/tests/data/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The identity provider: an issuer of its own with an ES256 key.
fn partner(issuer_url: &str, audience: &str) -> Issuer {
    let mut c = IssuerConfig::default();
    c.issuer = Some(issuer_url.to_owned());
    c.audience = Some(audience.into());
    c.keys = vec![
        KeyConfig::private_pem(Algorithm::ES256, Secret::new(key("p256-other.pem")))
            .with_kid("idp-1")
            .active(),
    ];
    Issuer::new(c).unwrap()
}

async fn app(provider: &Provider) -> Client {
    let mut config = AuthConfig::new(IssuerConfig::hs256(OUR_SECRET));
    let mut trusted = TrustedIssuerConfig::default();
    trusted.issuer.clone_from(&provider.url);
    trusted.jwks_url = Some(format!("{}/jwks.json", provider.url));
    trusted.audience = Some("our-api".into());
    trusted.refresh_interval = 1;
    config.trusted_issuers = vec![trusted];
    let rocket = rocket::custom(rocket::Config::figment().merge(("log_level", "off")))
        .attach(Auth::from_config(config))
        .mount("/", routes![ours, theirs, both, admin_theirs]);
    Client::tracked(rocket).await.unwrap()
}

async fn get_status(client: &Client, path: &str, token: &str) -> (Status, String) {
    let res = client
        .get(path)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    (res.status(), res.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn routes_accept_ours_theirs_or_both() {
    let provider = provider();
    let idp = partner(&provider.url, "our-api");
    *provider.jwks.lock().unwrap() = idp.jwks().to_string();
    let client = app(&provider).await;
    let ours_token = client
        .rocket()
        .state::<Auth>()
        .unwrap()
        .issuer()
        .issue_access("local-user", &())
        .unwrap();
    let theirs_token = idp
        .issue_access("idp-user", &json!({"scope": "admin read"}))
        .unwrap();

    assert_eq!(
        get_status(&client, "/ours", &ours_token).await,
        (Status::Ok, "local-user".into())
    );
    assert_eq!(
        get_status(&client, "/both", &ours_token).await.0,
        Status::Ok
    );
    assert_eq!(
        get_status(&client, "/theirs", &ours_token).await.0,
        Status::Unauthorized
    );

    assert_eq!(
        get_status(&client, "/theirs", &theirs_token).await,
        (Status::Ok, format!("idp-user from {}", provider.url))
    );
    assert_eq!(
        get_status(&client, "/both", &theirs_token).await,
        (Status::Ok, "idp-user".into())
    );
    assert_eq!(
        get_status(&client, "/ours", &theirs_token).await.0,
        Status::Unauthorized
    );
    assert_eq!(
        get_status(&client, "/admin-theirs", &theirs_token).await.0,
        Status::Ok
    );

    let no_scope = idp.issue_access("idp-user", &()).unwrap();
    assert_eq!(
        get_status(&client, "/admin-theirs", &no_scope).await.0,
        Status::Forbidden
    );
    let other_audience = partner(&provider.url, "someone-else")
        .issue_access("idp-user", &())
        .unwrap();
    assert_eq!(
        get_status(&client, "/theirs", &other_audience).await.0,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn a_provider_never_reached_means_503_for_its_tokens_and_ours_still_work() {
    let provider = provider();
    provider.up.store(false, Ordering::SeqCst);
    let idp = partner(&provider.url, "our-api");
    let client = app(&provider).await;
    let theirs_token = idp.issue_access("idp-user", &()).unwrap();
    let res = client
        .get("/both")
        .header(Header::new(
            "Authorization",
            format!("Bearer {theirs_token}"),
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::ServiceUnavailable);
    assert!(res.headers().get_one("Retry-After").is_some());
    let ours_token = client
        .rocket()
        .state::<Auth>()
        .unwrap()
        .issuer()
        .issue_access("local-user", &())
        .unwrap();
    assert_eq!(
        get_status(&client, "/both", &ours_token).await.0,
        Status::Ok
    );
}
