//! The quickstart's whole flow through Rocket's local client, on a fresh SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use rocket::figment::Figment;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use serde_json::{Value, json};

const SECRET: &str = "quickstart-flow-secret-quickstart-flow-secret";

struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("quickstart-{name}-{}.sqlite3", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn figment(db: &TempDb) -> Figment {
    rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("auth.secret", SECRET))
        // Cheap hashing: these tests are about the flow, not argon2's cost.
        .merge(("auth.passwords.m_cost", 1024))
        .merge(("auth.passwords.t_cost", 1))
        .merge(("auth.passwords.p_cost", 1))
        .merge(("database", db.0.display().to_string()))
        .merge(("admins", vec!["boss@example.com"]))
}

async fn client(db: &TempDb) -> Client {
    Client::tracked(quickstart::rocket_from(figment(db)))
        .await
        .expect("quickstart launches")
}

async fn body(res: LocalResponse<'_>) -> Value {
    assert_eq!(
        res.content_type(),
        Some(ContentType::JSON),
        "every answer is JSON"
    );
    serde_json::from_str(&res.into_string().await.unwrap()).unwrap()
}

async fn post(client: &Client, path: &str, json: Value) -> (Status, Value) {
    let res = client
        .post(path)
        .header(ContentType::JSON)
        .body(json.to_string())
        .dispatch()
        .await;
    let status = res.status();
    (status, body(res).await)
}

async fn get(client: &Client, path: &str, token: Option<&str>) -> (Status, Option<String>, Value) {
    let mut req = client.get(path);
    if let Some(t) = token {
        req = req.header(Header::new("Authorization", format!("Bearer {t}")));
    }
    let res = req.dispatch().await;
    let status = res.status();
    let challenge = res.headers().get_one("WWW-Authenticate").map(str::to_owned);
    (status, challenge, body(res).await)
}

async fn register_and_login(client: &Client, email: &str, password: &str) -> Value {
    let (status, _) = post(
        client,
        "/register",
        json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(status, Status::Created);
    let (status, pair) = post(
        client,
        "/login",
        json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    pair
}

#[rocket::async_test]
async fn health_is_open() {
    let db = TempDb::new("health");
    let client = client(&db).await;
    assert_eq!(
        get(&client, "/health", None).await.2,
        json!({"status": "ok"})
    );
}

#[rocket::async_test]
async fn register_validates_and_refuses_duplicates() {
    let db = TempDb::new("register");
    let client = client(&db).await;
    let (status, created) = post(
        &client,
        "/register",
        json!({"email": " Alice@Example.COM ", "password": "correct horse"}),
    )
    .await;
    assert_eq!(status, Status::Created);
    assert_eq!(created["email"], "alice@example.com");
    assert_eq!(created["id"].as_str().unwrap().len(), 32);

    let (status, dup) = post(
        &client,
        "/register",
        json!({"email": "alice@example.com", "password": "another one"}),
    )
    .await;
    assert_eq!(
        (status, dup),
        (
            Status::Conflict,
            json!({"detail": "Email already registered"})
        )
    );

    for (email, password, detail) in [
        ("not-an-email", "long enough", "Invalid email address"),
        ("a@b", "long enough", "Invalid email address"),
        (
            "bob@example.com",
            "short",
            "Password must be at least 8 characters",
        ),
        (
            "bob@example.com",
            &"x".repeat(1025),
            "Password must be at most 1024 bytes",
        ),
    ] {
        let (status, body) = post(
            &client,
            "/register",
            json!({"email": email, "password": password}),
        )
        .await;
        assert_eq!(
            (status, body),
            (Status::UnprocessableEntity, json!({"detail": detail})),
            "{email}"
        );
    }
    // Missing fields, wrong types and broken JSON are JSON errors too.
    let (status, _) = post(&client, "/register", json!({"email": "bob@example.com"})).await;
    assert_eq!(status, Status::UnprocessableEntity);
    let res = client
        .post("/register")
        .header(ContentType::JSON)
        .body("{nope")
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::BadRequest);
    assert!(body(res).await["detail"].is_string());
}

#[rocket::async_test]
async fn login_answers_the_same_for_unknown_users_and_wrong_passwords() {
    let db = TempDb::new("login");
    let client = client(&db).await;
    let pair = register_and_login(&client, "carol@example.com", "correct horse").await;
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(pair["expires_in"], 900);
    assert!(pair["access_token"].is_string() && pair["refresh_token"].is_string());

    let wrong = client
        .post("/login")
        .header(ContentType::JSON)
        .body(json!({"email": "carol@example.com", "password": "wrong horse"}).to_string())
        .dispatch()
        .await;
    let unknown = client
        .post("/login")
        .header(ContentType::JSON)
        .body(json!({"email": "nobody@example.com", "password": "wrong horse"}).to_string())
        .dispatch()
        .await;
    for res in [wrong, unknown] {
        assert_eq!(res.status(), Status::Unauthorized);
        assert_eq!(res.headers().get_one("WWW-Authenticate"), Some("Bearer"));
        assert_eq!(body(res).await, json!({"detail": "Invalid credentials"}));
    }
    // Emails are case-insensitive at login too.
    let (status, _) = post(
        &client,
        "/login",
        json!({"email": "CAROL@example.com", "password": "correct horse"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
}

#[rocket::async_test]
async fn me_claims_and_admin() {
    let db = TempDb::new("guarded");
    let client = client(&db).await;
    let user = register_and_login(&client, "dave@example.com", "correct horse").await;
    let boss = register_and_login(&client, "boss@example.com", "correct horse").await;
    let user_token = user["access_token"].as_str().unwrap();
    let boss_token = boss["access_token"].as_str().unwrap();

    let (status, challenge, body) = get(&client, "/me", None).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (Status::Unauthorized, Some("Bearer"))
    );
    assert_eq!(body, json!({"detail": "Missing bearer token"}));
    let (status, challenge, body) = get(&client, "/me", Some("not.a.token")).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (
            Status::Unauthorized,
            Some(r#"Bearer error="invalid_token""#)
        )
    );
    assert_eq!(body, json!({"detail": "Invalid or expired token"}));

    let (status, _, me) = get(&client, "/me", Some(user_token)).await;
    assert_eq!(status, Status::Ok);
    let user_id = me["user_id"].as_str().unwrap().to_owned();
    assert_eq!(user_id.len(), 32);

    let (_, _, claims) = get(&client, "/claims", Some(user_token)).await;
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["type"], "access");
    assert!(claims["exp"].as_u64().unwrap() > claims["iat"].as_u64().unwrap());

    let (status, challenge, body) = get(&client, "/admin", Some(user_token)).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (
            Status::Forbidden,
            Some(r#"Bearer error="insufficient_scope", scope="admin""#)
        )
    );
    assert_eq!(body, json!({"detail": "Missing scopes: admin"}));
    let (status, _, body) = get(&client, "/admin", Some(boss_token)).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["message"], "Hello, admin");

    // A refresh token is not an access token.
    let (status, _, _) = get(
        &client,
        "/me",
        Some(user["refresh_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn refresh_rotates_and_a_replay_ends_the_session() {
    let db = TempDb::new("refresh");
    let client = client(&db).await;
    let pair = register_and_login(&client, "erin@example.com", "correct horse").await;
    let first = pair["refresh_token"].as_str().unwrap();

    let (status, next) = post(&client, "/refresh", json!({"refresh_token": first})).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(next["token_type"], "bearer");
    assert_eq!(next["expires_in"], 900);
    let second = next["refresh_token"].as_str().unwrap();
    let second_access = next["access_token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(get(&client, "/me", Some(second_access)).await.0, Status::Ok);

    // The spent token comes back: a replay. Refused, and the whole session ends.
    let (status, body) = post(&client, "/refresh", json!({"refresh_token": first})).await;
    assert_eq!(
        (status, body),
        (
            Status::Unauthorized,
            json!({"detail": "Invalid or expired token"})
        )
    );
    assert_eq!(
        post(&client, "/refresh", json!({"refresh_token": second}))
            .await
            .0,
        Status::Unauthorized
    );
    assert_eq!(
        get(&client, "/me", Some(second_access)).await.0,
        Status::Unauthorized
    );

    // Garbage, access tokens and missing fields are refused cleanly.
    for bad in [
        json!({"refresh_token": "garbage"}),
        json!({"refresh_token": pair["access_token"]}),
    ] {
        assert_eq!(
            post(&client, "/refresh", bad.clone()).await.0,
            Status::Unauthorized,
            "{bad}"
        );
        assert_eq!(post(&client, "/logout", bad).await.0, Status::Unauthorized);
    }
    assert_eq!(
        post(&client, "/refresh", json!({})).await.0,
        Status::UnprocessableEntity
    );
}

#[rocket::async_test]
async fn logout_ends_one_session_and_logout_all_ends_every_one() {
    let db = TempDb::new("logout");
    let client = client(&db).await;
    let phone = register_and_login(&client, "gina@example.com", "correct horse").await;
    let (_, laptop) = post(
        &client,
        "/login",
        json!({"email": "gina@example.com", "password": "correct horse"}),
    )
    .await;
    let (_, tablet) = post(
        &client,
        "/login",
        json!({"email": "gina@example.com", "password": "correct horse"}),
    )
    .await;
    let token = |pair: &Value, kind: &str| pair[kind].as_str().unwrap().to_owned();

    // Logout: that session's refresh and access tokens are refused; the others live on.
    let (status, body) = post(
        &client,
        "/logout",
        json!({"refresh_token": token(&phone, "refresh_token")}),
    )
    .await;
    assert_eq!((status, body), (Status::Ok, json!({"ok": true})));
    assert_eq!(
        post(
            &client,
            "/refresh",
            json!({"refresh_token": token(&phone, "refresh_token")})
        )
        .await
        .0,
        Status::Unauthorized
    );
    assert_eq!(
        get(&client, "/me", Some(&token(&phone, "access_token")))
            .await
            .0,
        Status::Unauthorized
    );
    assert_eq!(
        get(&client, "/me", Some(&token(&laptop, "access_token")))
            .await
            .0,
        Status::Ok
    );
    // Logging out twice is fine.
    assert_eq!(
        post(
            &client,
            "/logout",
            json!({"refresh_token": token(&phone, "refresh_token")})
        )
        .await
        .0,
        Status::Ok
    );

    // Logout everywhere needs an access token...
    let res = client.post("/logout-all").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    // ...and ends every session of the user.
    let res = client
        .post("/logout-all")
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", token(&laptop, "access_token")),
        ))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    for pair in [&laptop, &tablet] {
        assert_eq!(
            get(&client, "/me", Some(&token(pair, "access_token")))
                .await
                .0,
            Status::Unauthorized
        );
        assert_eq!(
            post(
                &client,
                "/refresh",
                json!({"refresh_token": token(pair, "refresh_token")})
            )
            .await
            .0,
            Status::Unauthorized
        );
    }
    // A new login right away works.
    let (status, fresh) = post(
        &client,
        "/login",
        json!({"email": "gina@example.com", "password": "correct horse"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(
        get(&client, "/me", Some(&token(&fresh, "access_token")))
            .await
            .0,
        Status::Ok
    );
}

#[rocket::async_test]
async fn revocations_survive_a_restart() {
    let db = TempDb::new("revocations-restart");
    let pair = {
        let client = client(&db).await;
        let pair = register_and_login(&client, "hank@example.com", "correct horse").await;
        let (status, _) = post(
            &client,
            "/logout",
            json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
        assert_eq!(status, Status::Ok);
        pair
    };
    let client = client(&db).await;
    assert_eq!(
        post(
            &client,
            "/refresh",
            json!({"refresh_token": pair["refresh_token"]})
        )
        .await
        .0,
        Status::Unauthorized
    );
    assert_eq!(
        get(&client, "/me", pair["access_token"].as_str()).await.0,
        Status::Unauthorized,
        "loaded into the view"
    );
}

#[rocket::async_test]
async fn users_survive_a_restart_and_old_hashes_are_upgraded_at_login() {
    let db = TempDb::new("restart");
    {
        let client = client(&db).await;
        register_and_login(&client, "frank@example.com", "correct horse").await;
    }
    // Restart with stronger hashing parameters: the login still works, and the stored
    // hash is upgraded to the new parameters.
    let figment = figment(&db).merge(("auth.passwords.m_cost", 2048));
    let client = Client::tracked(quickstart::rocket_from(figment))
        .await
        .unwrap();
    let (status, _) = post(
        &client,
        "/login",
        json!({"email": "frank@example.com", "password": "correct horse"}),
    )
    .await;
    assert_eq!(status, Status::Ok);
    let users = client.rocket().state::<quickstart::users::Users>().unwrap();
    let stored = users
        .by_email("frank@example.com".into())
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.password_hash.contains("m=2048,t=1,p=1"),
        "{}",
        stored.password_hash
    );
}

#[rocket::async_test]
async fn a_bad_database_path_or_key_aborts_the_launch() {
    let db = TempDb::new("bad");
    let bad_db = figment(&db).merge(("database", "/nonexistent/dir/users.sqlite3"));
    let weak = figment(&db).merge(("auth.secret", "short"));
    for figment in [bad_db, weak] {
        let Err(e) = Client::tracked(quickstart::rocket_from(figment)).await else {
            panic!("launch must abort")
        };
        assert!(
            matches!(e.kind(), rocket::error::ErrorKind::FailedFairings(_)),
            "{e}"
        );
    }
}

#[rocket::async_test]
async fn without_a_secret_it_starts_on_a_random_one() {
    let db = TempDb::new("nosecret");
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("database", db.0.display().to_string()));
    // Guard against a secret in the environment of whoever runs the tests.
    if auth_rocket::has_signing_key(&figment) {
        eprintln!("skipping: a secret is configured in this environment");
        return;
    }
    let a = Client::tracked(quickstart::rocket_from(figment.clone()))
        .await
        .unwrap();
    let b = Client::tracked(quickstart::rocket_from(figment))
        .await
        .unwrap();
    let token = a
        .rocket()
        .state::<auth_rocket::Auth>()
        .unwrap()
        .issuer()
        .issue_access("u", &())
        .unwrap();
    assert_eq!(get(&a, "/me", Some(&token)).await.0, Status::Ok);
    assert_eq!(
        get(&b, "/me", Some(&token)).await.0,
        Status::Unauthorized,
        "another random secret"
    );
}

#[rocket::async_test]
async fn an_es256_and_eddsa_ring_from_configuration_and_its_jwks() {
    let db = TempDb::new("ring");
    let keys = |name: &str| {
        format!(
            "{}/../../auth-core/tests/data/keys/{name}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("auth.passwords.m_cost", 1024))
        .merge(("auth.passwords.t_cost", 1))
        .merge(("auth.passwords.p_cost", 1))
        .merge(("database", db.0.display().to_string()))
        .merge((
            "auth.keys",
            json!([
                {"kid": "ed-2026", "algorithm": "EdDSA", "private_key_path": keys("ed25519.pem"), "active": true},
                {"kid": "es-2025", "algorithm": "ES256", "private_key_path": keys("p256.pem")}
            ]),
        ));
    let client = Client::tracked(quickstart::rocket_from(figment))
        .await
        .expect("no secret needed with a ring");
    let issuer = client
        .rocket()
        .state::<auth_rocket::Auth>()
        .unwrap()
        .issuer();
    assert_eq!(
        issuer.keys().len(),
        2,
        "no random development secret next to a configured ring"
    );
    let res = client.get("/.well-known/jwks.json").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let jwks = body(res).await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["ed-2026", "es-2025"]);

    let pair = register_and_login(&client, "kim@example.com", "correct horse").await;
    let token = pair["access_token"].as_str().unwrap();
    let (header, _) = auth_rocket::auth_core::dangerous::decode_unverified(token).unwrap();
    assert_eq!(
        (header["alg"].as_str(), header["kid"].as_str()),
        (Some("EdDSA"), Some("ed-2026"))
    );
    assert_eq!(get(&client, "/me", Some(token)).await.0, Status::Ok);
}
