//! Configuration is validated once, when the issuer is built, and every refusal names
//! the field and the fix.

use auth_core::{Algorithm, ConfigError, Issuer, IssuerConfig, Secret};

use crate::support::*;

fn err(config: IssuerConfig) -> ConfigError {
    Issuer::new(config).expect_err("configuration should be refused")
}

#[test]
fn missing_keys_are_refused_with_the_fix() {
    let e = err(IssuerConfig::default());
    assert!(matches!(
        e,
        ConfigError::MissingKey {
            algorithm: Algorithm::HS256,
            ..
        }
    ));
    assert!(e.to_string().contains("ROCKET_AUTH_SECRET"), "{e}");
    let mut c = IssuerConfig::default();
    c.algorithm = Algorithm::ES256;
    let e = err(c);
    assert!(matches!(
        e,
        ConfigError::MissingKey {
            algorithm: Algorithm::ES256,
            ..
        }
    ));
    assert!(e.to_string().contains("private_key"), "{e}");
}

#[test]
fn hmac_secrets_must_be_as_long_as_the_hash() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let mut c = IssuerConfig::hs256("s".repeat(min - 1));
        c.algorithm = alg;
        match err(c) {
            ConfigError::WeakSecret {
                algorithm,
                min: m,
                actual,
            } => {
                assert_eq!((algorithm, m, actual), (alg, min, min - 1));
            }
            other => panic!("{alg}: {other}"),
        }
        let mut c = IssuerConfig::hs256("s".repeat(min));
        c.algorithm = alg;
        assert!(Issuer::new(c).is_ok(), "{alg}");
    }
    // Bytes, not characters: 11 four-byte characters are 44 bytes.
    assert!(Issuer::new(IssuerConfig::hs256("🔑".repeat(8))).is_ok());
}

#[test]
fn weak_rsa_keys_are_refused() {
    for c in [
        IssuerConfig::with_private_key(Algorithm::RS256, Secret::new(key("rsa1024.pem"))),
        IssuerConfig::with_public_key(Algorithm::PS256, key("rsa1024.pub.pem")),
    ] {
        match err(c) {
            ConfigError::WeakRsaKey { bits, .. } => assert_eq!(bits, 1024),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn keys_that_do_not_fit_the_algorithm_are_refused() {
    let cases = [
        (Algorithm::ES256, "p384.pem"),
        (Algorithm::ES384, "p256.pem"),
        (Algorithm::ES256, "rsa2048.pem"),
        (Algorithm::RS256, "p256.pem"),
        (Algorithm::EdDSA, "p256.pem"),
        (Algorithm::RS256, "ed25519.pem"),
    ];
    for (alg, file) in cases {
        let e = err(IssuerConfig::with_private_key(alg, Secret::new(key(file))));
        assert!(
            matches!(e, ConfigError::InvalidKey { .. }),
            "{alg} with {file}: {e}"
        );
        let public = file.replace(".pem", ".pub.pem");
        let e = err(IssuerConfig::with_public_key(alg, key(&public)));
        assert!(
            matches!(e, ConfigError::InvalidKey { .. }),
            "{alg} with {public}: {e}"
        );
    }
}

#[test]
fn public_and_private_halves_must_match() {
    for (alg, private, other_public) in [
        (Algorithm::RS256, "rsa2048.pem", "rsa2048-other.pub.pem"),
        (Algorithm::ES256, "p256.pem", "p256-other.pub.pem"),
        (Algorithm::EdDSA, "ed25519.pem", "ed25519-other.pub.pem"),
    ] {
        let mut c = IssuerConfig::with_private_key(alg, Secret::new(key(private)));
        c.public_key = Some(key(other_public));
        assert!(matches!(err(c), ConfigError::KeyMismatch), "{alg}");
        let mut c = IssuerConfig::with_private_key(alg, Secret::new(key(private)));
        c.public_key = Some(key(&private.replace(".pem", ".pub.pem")));
        assert!(Issuer::new(c).is_ok(), "{alg}: the real pair");
    }
}

#[test]
fn mixing_secret_and_pem_keys_is_refused() {
    let mut c = IssuerConfig::with_private_key(Algorithm::RS256, Secret::new(key("rsa2048.pem")));
    c.secret = Some(Secret::new(SECRET));
    assert!(matches!(
        err(c),
        ConfigError::ConflictingKey {
            field: "secret",
            ..
        }
    ));
    let mut c = hs256();
    c.private_key = Some(Secret::new(key("rsa2048.pem")));
    assert!(matches!(
        err(c),
        ConfigError::ConflictingKey {
            field: "private_key",
            ..
        }
    ));
    let mut c = hs256();
    c.public_key = Some(key("rsa2048.pub.pem"));
    assert!(matches!(
        err(c),
        ConfigError::ConflictingKey {
            field: "public_key",
            ..
        }
    ));
}

#[test]
fn pem_forms_and_mistakes() {
    // PKCS#1 RSA keys work; SEC1 EC keys, swapped halves and garbage get a specific hint.
    let mut c =
        IssuerConfig::with_private_key(Algorithm::RS256, Secret::new(key("rsa2048.pkcs1.pem")));
    c.public_key = Some(key("rsa2048.pkcs1.pub.pem"));
    assert!(Issuer::new(c).is_ok());

    let e = err(IssuerConfig::with_private_key(
        Algorithm::ES256,
        Secret::new(key("p256.sec1.pem")),
    ));
    assert!(e.to_string().contains("openssl pkcs8 -topk8"), "{e}");
    let e = err(IssuerConfig::with_private_key(
        Algorithm::ES256,
        Secret::new(key("p256.pub.pem")),
    ));
    assert!(e.to_string().contains("public key"), "{e}");
    let e = err(IssuerConfig::with_public_key(
        Algorithm::ES256,
        key("p256.pem"),
    ));
    assert!(e.to_string().contains("private key"), "{e}");
    let e = err(IssuerConfig::with_private_key(
        Algorithm::ES256,
        Secret::new("not a key"),
    ));
    assert!(
        matches!(
            e,
            ConfigError::InvalidKey {
                field: "private_key",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn pem_on_one_line_with_escaped_newlines_is_accepted() {
    let one_line = key("p256.pem").trim_end().replace('\n', "\\n");
    assert!(!one_line.contains('\n'));
    assert!(
        Issuer::new(IssuerConfig::with_private_key(
            Algorithm::ES256,
            Secret::new(one_line)
        ))
        .is_ok()
    );
}

#[test]
fn keys_and_secrets_can_come_from_files() {
    let mut c = IssuerConfig::default();
    c.algorithm = Algorithm::ES256;
    c.private_key_path = Some(key_path("p256.pem"));
    c.public_key_path = Some(key_path("p256.pub.pem"));
    assert!(Issuer::new(c).is_ok());

    let dir = std::env::temp_dir().join(format!("auth-core-secret-{}", std::process::id()));
    std::fs::write(&dir, format!("{SECRET}\n")).unwrap();
    let mut c = IssuerConfig::default();
    c.secret_path = Some(dir.clone());
    let from_file = Issuer::new(c).unwrap();
    let token = Issuer::new(hs256())
        .unwrap()
        .issue_access("u", &())
        .unwrap();
    assert!(
        from_file.verify_access(&token).is_ok(),
        "trailing newline is ignored"
    );
    std::fs::remove_file(&dir).unwrap();

    let mut c = IssuerConfig::default();
    c.secret_path = Some("/nonexistent/secret".into());
    let e = err(c);
    assert!(matches!(
        e,
        ConfigError::KeyFile {
            field: "secret_path",
            ..
        }
    ));
    assert!(e.to_string().contains("/nonexistent/secret"));
}

#[test]
fn limits_are_validated() {
    for (field, mutate) in [
        (
            "access_ttl",
            Box::new(|c: &mut IssuerConfig| c.access_ttl = 0) as Box<dyn Fn(&mut IssuerConfig)>,
        ),
        (
            "refresh_ttl",
            Box::new(|c: &mut IssuerConfig| c.refresh_ttl = u64::MAX),
        ),
        ("leeway", Box::new(|c: &mut IssuerConfig| c.leeway = 301)),
        (
            "max_token_bytes",
            Box::new(|c: &mut IssuerConfig| c.max_token_bytes = 10),
        ),
        (
            "audience",
            Box::new(|c: &mut IssuerConfig| c.audience = Some(auth_core::Audience::Many(vec![]))),
        ),
        (
            "audience",
            Box::new(|c: &mut IssuerConfig| c.audience = Some("".into())),
        ),
    ] {
        let mut c = hs256();
        mutate(&mut c);
        match err(c) {
            ConfigError::InvalidValue { field: f, .. } => assert_eq!(f, field),
            other => panic!("{field}: {other}"),
        }
    }
}

#[test]
fn errors_and_debug_output_never_contain_key_material() {
    let private = key("p256.pem");
    let body = private.lines().nth(1).unwrap().to_owned();
    let mut c = IssuerConfig::with_private_key(Algorithm::ES256, Secret::new(private.clone()));
    c.public_key = Some(key("p256-other.pub.pem"));
    let e = err(c);
    assert!(!format!("{e} {e:?}").contains(&body));

    let issuer = Issuer::new(IssuerConfig::with_private_key(
        Algorithm::ES256,
        Secret::new(private),
    ))
    .unwrap();
    assert!(!format!("{issuer:?}").contains(&body));
    let issuer = Issuer::new(hs256()).unwrap();
    assert!(!format!("{issuer:?}").contains(SECRET));
    let e = err(IssuerConfig::hs256("short-secret-value"));
    assert!(!format!("{e} {e:?}").contains("short-secret-value"));
}

#[test]
fn config_deserialises_from_a_table_like_rocket_toml() {
    let c: IssuerConfig = serde_json::from_value(serde_json::json!({
        "algorithm": "ES256",
        "private_key_path": key_path("p256.pem"),
        "issuer": "auth.example",
        "audience": ["api", "web"],
        "access_ttl": 300,
        "leeway": 5
    }))
    .unwrap();
    let issuer = Issuer::new(c).unwrap();
    assert_eq!(issuer.access_ttl(), 300);
    let claims = issuer
        .verify_access(&issuer.issue_access("u", &()).unwrap())
        .unwrap();
    assert_eq!(claims.iss.as_deref(), Some("auth.example"));
}
