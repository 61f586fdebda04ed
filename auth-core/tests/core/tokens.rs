//! The token rules of RFC 8725 and hawkapi-auth, one test (at least) per rule.

use auth_core::{
    Algorithm, Audience, IssueError, Issuer, IssuerConfig, Secret, TokenError, TokenType,
};
use serde_json::json;

use crate::support::*;

#[test]
fn every_algorithm_round_trips_and_carries_the_seeds_claims() {
    let mut configs = asymmetric_configs();
    for (alg, len) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let mut c = IssuerConfig::hs256("k".repeat(len));
        c.algorithm = alg;
        configs.push((alg, c));
    }
    for (alg, config) in configs {
        let issuer = Issuer::new(config).unwrap();
        let token = issuer
            .issue_access("user-1", &json!({"role": "admin"}))
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                token.split('.').next().unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(header, json!({"alg": alg.as_str(), "typ": "JWT"}), "{alg}");
        let c = issuer
            .verify_access(&token)
            .unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(c.sub, "user-1");
        assert_eq!(c.token_type, TokenType::Access);
        assert_eq!(c.exp - c.iat, 900);
        assert_eq!(c.jti.len(), 32);
        assert_eq!(c.extra["role"], "admin");
    }
}

#[test]
fn ttls_follow_the_config() {
    let mut c = hs256();
    c.access_ttl = 60;
    c.refresh_ttl = 3600;
    let (issuer, _) = issuer_at(c);
    let a = issuer
        .verify_access(&issuer.issue_access("u", &()).unwrap())
        .unwrap();
    assert_eq!((a.iat, a.exp), (NOW, NOW + 60));
    let r = block_on(issuer.verify_refresh(&issuer.issue_refresh("u", &()).unwrap())).unwrap();
    assert_eq!((r.iat, r.exp), (NOW, NOW + 3600));
}

#[test]
fn jti_is_unique_per_token() {
    let issuer = Issuer::new(hs256()).unwrap();
    let a = issuer
        .verify_access(&issuer.issue_access("u", &()).unwrap())
        .unwrap();
    let b = issuer
        .verify_access(&issuer.issue_access("u", &()).unwrap())
        .unwrap();
    assert_ne!(a.jti, b.jti);
}

// ---- algorithm pinning -------------------------------------------------------------

#[test]
fn alg_none_is_refused() {
    let issuer = Issuer::new(hs256()).unwrap();
    let payload = b64(claims().to_string().as_bytes());
    for header in [
        r#"{"alg":"none","typ":"JWT"}"#,
        r#"{"alg":"None"}"#,
        r#"{"alg":"NONE"}"#,
    ] {
        let h = b64(header.as_bytes());
        for token in [format!("{h}.{payload}."), format!("{h}.{payload}.c2ln")] {
            let err = issuer.verify_access(&token).unwrap_err();
            assert!(
                matches!(
                    err,
                    TokenError::AlgorithmMismatch | TokenError::Malformed(_)
                ),
                "{header}: {err:?}"
            );
        }
    }
}

#[test]
fn hs_rs_confusion_is_refused() {
    // The classic attack: sign with HS256 using the RS256 *public* key as the secret.
    let public_pem = key("rsa2048.pub.pem");
    let issuer = Issuer::new(IssuerConfig::with_public_key(
        Algorithm::RS256,
        public_pem.clone(),
    ))
    .unwrap();
    let token = sign_hs256_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &claims().to_string(),
        public_pem.as_bytes(),
    );
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::AlgorithmMismatch)
    ));
}

#[test]
fn another_algorithm_of_the_same_family_is_refused() {
    let issuer = Issuer::new(hs256()).unwrap();
    let enc = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let token = sign_raw(
        r#"{"alg":"HS512"}"#,
        &claims().to_string(),
        &enc,
        jsonwebtoken::Algorithm::HS512,
    );
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::AlgorithmMismatch)
    ));

    // RS256 key, token says PS256 (same key, other padding): refused.
    let rsa = Issuer::new(IssuerConfig::with_private_key(
        Algorithm::RS256,
        Secret::new(key("rsa2048.pem")),
    ))
    .unwrap();
    let enc = jsonwebtoken::EncodingKey::from_rsa_pem(key("rsa2048.pem").as_bytes()).unwrap();
    let token = sign_raw(
        r#"{"alg":"PS256"}"#,
        &claims().to_string(),
        &enc,
        jsonwebtoken::Algorithm::PS256,
    );
    assert!(matches!(
        rsa.verify_access(&token),
        Err(TokenError::AlgorithmMismatch)
    ));
}

#[test]
fn a_token_from_another_key_is_refused() {
    for (alg, other) in [
        (Algorithm::RS256, "rsa2048-other.pem"),
        (Algorithm::ES256, "p256-other.pem"),
        (Algorithm::EdDSA, "ed25519-other.pem"),
    ] {
        let ours = asymmetric_configs()
            .into_iter()
            .find(|(a, _)| *a == alg)
            .unwrap()
            .1;
        let verifier = Issuer::new(ours).unwrap();
        let attacker =
            Issuer::new(IssuerConfig::with_private_key(alg, Secret::new(key(other)))).unwrap();
        let token = attacker.issue_access("admin", &()).unwrap();
        assert!(
            matches!(
                verifier.verify_access(&token),
                Err(TokenError::InvalidSignature)
            ),
            "{alg}"
        );
    }
    let other_secret = Issuer::new(IssuerConfig::hs256(
        "another-secret-another-secret-another-secret",
    ))
    .unwrap();
    let token = other_secret.issue_access("admin", &()).unwrap();
    assert!(matches!(
        Issuer::new(hs256()).unwrap().verify_access(&token),
        Err(TokenError::InvalidSignature)
    ));
}

#[test]
fn tampering_breaks_the_signature() {
    let issuer = Issuer::new(hs256()).unwrap();
    let token = issuer.issue_access("user-1", &()).unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["sub"] = json!("admin");
    parts[1] = b64(payload.to_string().as_bytes());
    assert!(matches!(
        issuer.verify_access(&parts.join(".")),
        Err(TokenError::InvalidSignature)
    ));
    // A flipped signature bit, and a truncated signature.
    let mut sig = token.rsplit_once('.').unwrap().1.to_owned();
    let flipped = if sig.ends_with('A') { 'B' } else { 'A' };
    sig.pop();
    let head = token.rsplit_once('.').unwrap().0;
    assert!(
        issuer
            .verify_access(&format!("{head}.{sig}{flipped}"))
            .is_err()
    );
    assert!(
        issuer
            .verify_access(&format!("{head}.{}", &sig[..10]))
            .is_err()
    );
}

// ---- header rules --------------------------------------------------------------------

#[test]
fn unknown_crit_is_refused() {
    let issuer = Issuer::new(hs256()).unwrap();
    let token = sign_hs256_raw(
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        &claims().to_string(),
        SECRET.as_bytes(),
    );
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::UnsupportedHeader("crit"))
    ));
}

#[test]
fn keys_are_never_taken_from_the_token() {
    // The attacker signs with their own key and embeds it (jwk), points to it (jku, x5u),
    // or names it (kid). None of it is used.
    let verifier = Issuer::new(IssuerConfig::with_private_key(
        Algorithm::ES256,
        Secret::new(key("p256.pem")),
    ))
    .unwrap();
    let attacker =
        jsonwebtoken::EncodingKey::from_ec_pem(key("p256-other.pem").as_bytes()).unwrap();
    let attacker_pub = key("p256-other.pub.pem");
    let jwk = jsonwebtoken::jwk::Jwk::from_decoding_key(
        &jsonwebtoken::DecodingKey::from_ec_pem(attacker_pub.as_bytes()).unwrap(),
        Some(jsonwebtoken::Algorithm::ES256),
    )
    .unwrap();
    let headers = [
        json!({"alg": "ES256", "jwk": jwk}).to_string(),
        json!({"alg": "ES256", "jku": "http://127.0.0.1:1/jwks.json"}).to_string(),
        json!({"alg": "ES256", "x5u": "http://127.0.0.1:1/cert.pem"}).to_string(),
    ];
    for h in headers {
        let token = sign_raw(
            &h,
            &claims().to_string(),
            &attacker,
            jsonwebtoken::Algorithm::ES256,
        );
        assert!(
            matches!(
                verifier.verify_access(&token),
                Err(TokenError::InvalidSignature)
            ),
            "{h}"
        );
    }
    let token = sign_raw(
        r#"{"alg":"ES256","kid":"attacker"}"#,
        &claims().to_string(),
        &attacker,
        jsonwebtoken::Algorithm::ES256,
    );
    assert!(matches!(
        verifier.verify_access(&token),
        Err(TokenError::UnknownKey)
    ));
}

#[test]
fn oversized_tokens_are_refused_before_decoding() {
    let issuer = Issuer::new(hs256()).unwrap();
    let big = issuer
        .issue_access("u", &json!({"blob": "x".repeat(9000)}))
        .unwrap();
    assert!(matches!(
        issuer.verify_access(&big),
        Err(TokenError::TooLarge { limit: 8192 })
    ));
    // Garbage over the limit gives the same answer: nothing was parsed.
    assert!(matches!(
        issuer.verify_access(&"!".repeat(8193)),
        Err(TokenError::TooLarge { .. })
    ));
    let mut c = hs256();
    c.max_token_bytes = 16 * 1024;
    assert!(
        Issuer::new(c).unwrap().verify_access(&big).is_ok(),
        "the limit is configurable"
    );
}

#[test]
fn duplicate_member_names_are_refused() {
    let issuer = Issuer::new(hs256()).unwrap();
    let payload = r#"{"sub":"user-1","sub":"admin","iat":1750000000,"exp":9999999999,"jti":"j","type":"access"}"#;
    let token = sign_hs256_raw(r#"{"alg":"HS256"}"#, payload, SECRET.as_bytes());
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::Malformed("duplicate member name in payload"))
    ));
    let token = sign_hs256_raw(
        r#"{"alg":"HS256","alg":"HS256"}"#,
        &claims().to_string(),
        SECRET.as_bytes(),
    );
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::Malformed("duplicate member name in header"))
    ));
}

// ---- claim rules -----------------------------------------------------------------------

#[test]
fn exp_is_required() {
    let (issuer, _) = issuer_at(hs256());
    let token = hs256_token(&claims_with("exp", None));
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::MissingClaim("exp"))
    ));
}

#[test]
fn expiry_is_checked_with_the_leeway() {
    let (issuer, clock) = issuer_at(hs256());
    let token = issuer.issue_access("u", &()).unwrap();
    clock.advance(900 + 29);
    assert!(
        issuer.verify_access(&token).is_ok(),
        "inside the 30 s leeway"
    );
    clock.advance(1);
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::Expired)
    ));
}

#[test]
fn nbf_and_future_iat_are_honoured_with_the_leeway() {
    let (issuer, _) = issuer_at(hs256());
    assert!(
        issuer
            .verify_access(&hs256_token(&claims_with("nbf", Some(json!(NOW + 30)))))
            .is_ok()
    );
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with("nbf", Some(json!(NOW + 31))))),
        Err(TokenError::NotYetValid)
    ));
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with("iat", Some(json!(NOW + 31))))),
        Err(TokenError::NotYetValid)
    ));
    let mut strict = hs256();
    strict.leeway = 0;
    let (issuer, _) = issuer_at(strict);
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with("nbf", Some(json!(NOW + 1))))),
        Err(TokenError::NotYetValid)
    ));
}

#[test]
fn issuer_is_required_and_checked_once_configured() {
    let mut c = hs256();
    c.issuer = Some("auth.example".into());
    let (issuer, _) = issuer_at(c);
    assert_eq!(
        issuer
            .verify_access(&issuer.issue_access("u", &()).unwrap())
            .unwrap()
            .iss
            .as_deref(),
        Some("auth.example")
    );
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims())),
        Err(TokenError::MissingClaim("iss"))
    ));
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with(
            "iss",
            Some(json!("evil.example"))
        ))),
        Err(TokenError::InvalidIssuer)
    ));
}

#[test]
fn audience_as_string_or_list_is_required_and_checked_once_configured() {
    for configured in [
        Audience::from("api"),
        Audience::Many(vec!["web".into(), "api".into()]),
    ] {
        let mut c = hs256();
        c.audience = Some(configured.clone());
        let (issuer, _) = issuer_at(c);
        let own = issuer
            .verify_access(&issuer.issue_access("u", &()).unwrap())
            .unwrap();
        assert_eq!(
            own.aud.as_ref(),
            Some(&configured),
            "issued tokens carry the configured shape"
        );
        assert!(matches!(
            issuer.verify_access(&hs256_token(&claims())),
            Err(TokenError::MissingClaim("aud"))
        ));
        for ok in [json!("api"), json!(["other", "api"])] {
            assert!(
                issuer
                    .verify_access(&hs256_token(&claims_with("aud", Some(ok.clone()))))
                    .is_ok(),
                "{ok}"
            );
        }
        for bad in [json!("other"), json!(["x", "y"]), json!([])] {
            assert!(
                matches!(
                    issuer.verify_access(&hs256_token(&claims_with("aud", Some(bad.clone())))),
                    Err(TokenError::InvalidAudience)
                ),
                "{bad}"
            );
        }
    }
    // Not configured: a token meant for some audience is not for us.
    let (issuer, _) = issuer_at(hs256());
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with("aud", Some(json!("api"))))),
        Err(TokenError::InvalidAudience)
    ));
}

#[test]
fn token_type_must_match() {
    let issuer = Issuer::new(hs256()).unwrap();
    let refresh = issuer.issue_refresh("u", &()).unwrap();
    assert!(matches!(
        issuer.verify_access(&refresh),
        Err(TokenError::WrongType {
            expected: TokenType::Access
        })
    ));
    let access = issuer.issue_access("u", &()).unwrap();
    assert!(matches!(
        block_on(issuer.verify_refresh(&access)),
        Err(TokenError::WrongType {
            expected: TokenType::Refresh
        })
    ));
    assert!(matches!(
        block_on(issuer.revoke_refresh(&access)),
        Err(TokenError::WrongType { .. })
    ));
    let (issuer, _) = issuer_at(hs256());
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with("type", None))),
        Err(TokenError::MissingClaim("type"))
    ));
}

#[test]
fn sub_must_be_a_non_empty_string() {
    let (issuer, _) = issuer_at(hs256());
    for bad in [json!(""), json!(42), json!(null), json!(["a"])] {
        assert!(
            matches!(
                issuer.verify_access(&hs256_token(&claims_with("sub", Some(bad.clone())))),
                Err(TokenError::InvalidClaim("sub"))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        issuer.verify_access(&hs256_token(&claims_with("sub", None))),
        Err(TokenError::MissingClaim("sub"))
    ));
    assert!(matches!(
        issuer.issue_access("", &()),
        Err(IssueError::EmptySubject)
    ));
}

#[test]
fn wrong_claim_types_are_refused() {
    let (issuer, _) = issuer_at(hs256());
    for (name, bad) in [
        ("exp", json!("9999999999")),
        ("iat", json!(true)),
        ("nbf", json!(-5)),
        ("jti", json!(7)),
        ("iss", json!(1)),
    ] {
        assert!(
            matches!(
                issuer.verify_access(&hs256_token(&claims_with(name, Some(bad.clone())))),
                Err(TokenError::InvalidClaim(n)) if n == name
            ),
            "{name}: {bad}"
        );
    }
}

// ---- issuing -----------------------------------------------------------------------------

#[test]
fn extra_claims_cannot_override_reserved_ones() {
    let issuer = Issuer::new(hs256()).unwrap();
    for reserved in auth_core::RESERVED_CLAIMS {
        let extra = json!({ reserved: "forged" });
        match issuer.issue_access("u", &extra) {
            Err(IssueError::ReservedClaim(name)) => assert_eq!(name, reserved),
            other => panic!("{reserved}: {other:?}"),
        }
    }
}

#[test]
fn extra_claims_take_any_serde_value_that_is_an_object() {
    #[derive(serde::Serialize)]
    struct Extra<'a> {
        role: &'a str,
        perms: Vec<u32>,
        meta: std::collections::BTreeMap<&'a str, Option<f64>>,
    }
    let issuer = Issuer::new(hs256()).unwrap();
    let extra = Extra {
        role: "admin",
        perms: vec![1, 2],
        meta: [("a", Some(1.5)), ("b", None)].into(),
    };
    let c = issuer
        .verify_access(&issuer.issue_access("u", &extra).unwrap())
        .unwrap();
    assert_eq!(c.extra["perms"], json!([1, 2]));
    assert_eq!(c.extra["meta"], json!({"a": 1.5, "b": null}));
    assert!(issuer.issue_access("u", &json!(null)).is_ok());
    assert!(matches!(
        issuer.issue_access("u", &json!([1])),
        Err(IssueError::ExtraNotObject)
    ));
    assert!(matches!(
        issuer.issue_access("u", &"text"),
        Err(IssueError::ExtraNotObject)
    ));
}

#[test]
fn scopes_are_parsed_from_scope_or_scopes() {
    let issuer = Issuer::new(hs256()).unwrap();
    let c = issuer
        .verify_access(
            &issuer
                .issue_access("u", &json!({"scope": "read write"}))
                .unwrap(),
        )
        .unwrap();
    assert!(c.scopes.contains_all(&["read", "write"]));
    let c = issuer
        .verify_access(
            &issuer
                .issue_access("u", &json!({"scopes": ["admin"]}))
                .unwrap(),
        )
        .unwrap();
    assert!(c.scopes.contains("admin"));
    let c = issuer
        .verify_access(
            &issuer
                .issue_access("u", &json!({"scope": "read", "scopes": ["admin"]}))
                .unwrap(),
        )
        .unwrap();
    assert!(!c.scopes.contains("admin"), "`scope` wins");
}

#[test]
fn a_verify_only_issuer_verifies_but_cannot_issue() {
    let signer = Issuer::new(IssuerConfig::with_private_key(
        Algorithm::EdDSA,
        Secret::new(key("ed25519.pem")),
    ))
    .unwrap();
    let verifier = Issuer::new(IssuerConfig::with_public_key(
        Algorithm::EdDSA,
        key("ed25519.pub.pem"),
    ))
    .unwrap();
    assert!(!verifier.can_issue());
    assert!(matches!(
        verifier.issue_access("u", &()),
        Err(IssueError::VerifyOnly)
    ));
    assert_eq!(
        verifier
            .verify_access(&signer.issue_access("u", &()).unwrap())
            .unwrap()
            .sub,
        "u"
    );
}

#[test]
fn claims_serialise_to_the_token_payload() {
    let mut c = hs256();
    c.issuer = Some("me".into());
    let issuer = Issuer::new(c).unwrap();
    let token = issuer.issue_access("u", &json!({"role": "r"})).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(issuer.verify_access(&token).unwrap()).unwrap(),
        payload
    );
}
