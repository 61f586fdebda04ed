//! The quickstart and the Python hawkapi-auth share tokens: a token minted by
//! hawkapi-auth with the same secret is accepted by `/me`, and the quickstart's access
//! tokens pass hawkapi-auth's `verify_access`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::process::Command;

use auth_tests::{TempDb, interop_python, quickstart_figment};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use serde_json::{Value, json};

const SECRET: &str = "shared-with-python-shared-with-python-0123456789";

/// Runs a Python snippet in the interop venv with `SECRET`, `ISSUER` and `AUDIENCE` set,
/// and returns its stdout as JSON.
fn python(py: &std::path::Path, code: &str, input: &str) -> Value {
    let out = Command::new(py)
        .arg("-c")
        .arg(code)
        .arg(input)
        .env("SECRET", SECRET)
        .output()
        .expect("run the interop python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

const MINT: &str = r#"
import json, os, sys
from hawkapi_auth import JWTConfig, TokenIssuer
issuer = TokenIssuer(config=JWTConfig(secret=os.environ["SECRET"], issuer="svc", audience="api"))
print(json.dumps({"token": issuer.issue_access(sys.argv[1], role="admin", scope="admin read")}))
"#;

const VERIFY: &str = r#"
import json, os, sys
from hawkapi_auth import JWTConfig, TokenIssuer, TokenError
issuer = TokenIssuer(config=JWTConfig(secret=os.environ["SECRET"], issuer="svc", audience="api"))
try:
    print(json.dumps({"ok": True, "claims": issuer.verify_access(sys.argv[1])}))
except TokenError as e:
    print(json.dumps({"ok": False, "error": str(e)}))
"#;

#[rocket::async_test]
async fn tokens_cross_between_hawkapi_auth_and_the_quickstart() {
    let Some(py) = interop_python("hawkapi-auth <-> quickstart token exchange") else {
        return;
    };
    let db = TempDb::new("hawkapi");
    let figment = quickstart_figment(&db, SECRET)
        .merge(("auth.issuer", "svc"))
        .merge(("auth.audience", "api"))
        .merge(("admins", vec!["ada@example.com"]));
    let client = Client::tracked(quickstart::rocket_from(figment))
        .await
        .unwrap();

    // Python -> Rust: a hawkapi-auth token opens /me, /claims and /admin.
    let minted = python(&py, MINT, "python-user-7");
    let token = minted["token"].as_str().unwrap();
    let bearer = Header::new("Authorization", format!("Bearer {token}"));
    let res = client.get("/me").header(bearer.clone()).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(
        res.into_json::<Value>().await.unwrap(),
        json!({"user_id": "python-user-7"})
    );
    let claims: Value = client
        .get("/claims")
        .header(bearer.clone())
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    assert_eq!(
        (claims["role"].clone(), claims["iss"].clone()),
        (json!("admin"), json!("svc"))
    );
    assert_eq!(
        client
            .get("/admin")
            .header(bearer)
            .dispatch()
            .await
            .status(),
        Status::Ok
    );

    // Rust -> Python: the quickstart's access token passes verify_access.
    let creds = json!({"email": "ada@example.com", "password": "correct horse"}).to_string();
    let res = client
        .post("/register")
        .header(ContentType::JSON)
        .body(&creds)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Created);
    let pair: Value = client
        .post("/login")
        .header(ContentType::JSON)
        .body(&creds)
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    let access = pair["access_token"].as_str().unwrap();
    let me: Value = client
        .get("/me")
        .header(Header::new("Authorization", format!("Bearer {access}")))
        .dispatch()
        .await
        .into_json()
        .await
        .unwrap();
    let verdict = python(&py, VERIFY, access);
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["claims"]["sub"], me["user_id"]);
    assert_eq!(verdict["claims"]["type"], "access");
    assert_eq!(verdict["claims"]["scope"], "admin");
    // And hawkapi-auth refuses the refresh token as an access token, as we do.
    let verdict = python(&py, VERIFY, pair["refresh_token"].as_str().unwrap());
    assert_eq!(verdict["ok"], false, "{verdict}");
}
