//! The key ring: `kid`s, one signing key, verify-only keys, rotation without downtime,
//! and the published JWKS.

use auth_core::{
    Algorithm, ConfigError, Issuer, IssuerConfig, KeyConfig, KeyError, Secret, TokenError,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::support::*;

fn header(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn ring(keys: Vec<KeyConfig>) -> IssuerConfig {
    let mut c = IssuerConfig::default();
    c.keys = keys;
    c
}

fn es256(file: &str) -> KeyConfig {
    KeyConfig::private_pem(Algorithm::ES256, Secret::new(key(file)))
}

#[test]
fn tokens_carry_the_active_keys_kid_and_every_key_verifies() {
    let old = Issuer::new(ring(vec![es256("p256-other.pem").with_kid("old").active()])).unwrap();
    let old_token = old.issue_access("u", &()).unwrap();
    assert_eq!(header(&old_token)["kid"], "old");

    let issuer = Issuer::new(ring(vec![
        es256("p256.pem").with_kid("new").active(),
        KeyConfig::public_pem(Algorithm::ES256, key("p256-other.pub.pem")).with_kid("old"),
        KeyConfig::private_pem(Algorithm::EdDSA, Secret::new(key("ed25519.pem"))).with_kid("ed"),
    ]))
    .unwrap();
    let token = issuer.issue_access("u", &()).unwrap();
    assert_eq!(
        header(&token),
        json!({"alg": "ES256", "typ": "JWT", "kid": "new"})
    );
    assert!(issuer.verify_access(&token).is_ok());
    assert!(
        issuer.verify_access(&old_token).is_ok(),
        "the verify-only key still verifies what it signed"
    );
    assert_eq!(issuer.algorithm(), Algorithm::ES256);
}

#[test]
fn the_kid_defaults_to_the_rfc7638_thumbprint() {
    let issuer = Issuer::new(ring(vec![es256("p256.pem").active()])).unwrap();
    let kid = issuer.keys()[0].kid.clone().unwrap();
    assert_eq!(kid.len(), 43, "base64url SHA-256");
    assert_eq!(
        header(&issuer.issue_access("u", &()).unwrap())["kid"],
        kid.as_str()
    );
    // The same key gets the same id anywhere: it is derived from the public key only.
    let verifier = Issuer::new(ring(vec![KeyConfig::public_pem(
        Algorithm::ES256,
        key("p256.pub.pem"),
    )]))
    .unwrap();
    assert_eq!(verifier.keys()[0].kid.as_deref(), Some(kid.as_str()));
    assert_eq!(issuer.jwks()["keys"][0]["kid"], kid.as_str());
}

#[test]
fn unknown_kids_and_alg_mismatches_are_refused() {
    let issuer = Issuer::new(ring(vec![es256("p256.pem").with_kid("k1").active()])).unwrap();
    let good = issuer.issue_access("u", &()).unwrap();
    let (_, rest) = good.split_once('.').unwrap();
    for h in [
        r#"{"alg":"ES256","kid":"k2"}"#,
        r#"{"alg":"ES256"}"#,
        r#"{"alg":"ES384","kid":"k1"}"#,
    ] {
        let forged = format!("{}.{rest}", b64(h.as_bytes()));
        let err = issuer.verify_access(&forged).unwrap_err();
        assert!(
            matches!(
                err,
                TokenError::UnknownKey
                    | TokenError::AlgorithmMismatch
                    | TokenError::InvalidSignature
            ),
            "{h}: {err:?}"
        );
    }
    let forged = format!("{}.{rest}", b64(br#"{"alg":"ES256","kid":"k2"}"#));
    assert!(matches!(
        issuer.verify_access(&forged),
        Err(TokenError::UnknownKey)
    ));
    let forged = format!("{}.{rest}", b64(br#"{"alg":"HS256","kid":"k1"}"#));
    assert!(matches!(
        issuer.verify_access(&forged),
        Err(TokenError::AlgorithmMismatch)
    ));
}

#[test]
fn the_seed_key_keeps_working_next_to_a_ring() {
    // A service moving from one secret to a ring: tokens without a kid still verify
    // with the old secret, new tokens are signed by the ring's active key.
    let legacy = Issuer::new(hs256()).unwrap();
    let old_token = legacy.issue_access("u", &()).unwrap();
    assert!(header(&old_token).get("kid").is_none());

    let mut config = hs256();
    config.keys = vec![es256("p256.pem").with_kid("2026-11").active()];
    let issuer = Issuer::new(config).unwrap();
    assert!(issuer.verify_access(&old_token).is_ok());
    let new_token = issuer.issue_access("u", &()).unwrap();
    assert_eq!(header(&new_token)["kid"], "2026-11");
    // Without an active ring key, the seed key signs, as before.
    let mut config = hs256();
    config.keys =
        vec![KeyConfig::public_pem(Algorithm::ES256, key("p256.pub.pem")).with_kid("theirs")];
    let issuer = Issuer::new(config).unwrap();
    assert!(
        header(&issuer.issue_access("u", &()).unwrap())
            .get("kid")
            .is_none()
    );
}

#[test]
fn rotation_without_downtime_at_run_time() {
    let (issuer, clock) = issuer_at(ring(vec![es256("p256-other.pem").with_kid("k1").active()]));
    let before = issuer.issue_pair("u", &()).unwrap();

    // 1. Add the next key, not yet signing: it is published first.
    let kid = issuer.add_key(&es256("p256.pem").with_kid("k2")).unwrap();
    assert_eq!(kid, "k2");
    let jwks = issuer.jwks();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(header(&issuer.issue_access("u", &()).unwrap())["kid"], "k1");

    // 2. Activate it: new tokens are signed with it, old ones still verify.
    issuer.activate_key("k2").unwrap();
    let after = issuer.issue_access("u", &()).unwrap();
    assert_eq!(header(&after)["kid"], "k2");
    assert!(issuer.verify_access(&before.access_token).is_ok());

    // 3. Retire the old key: it verifies until its last token expired, then goes.
    assert_eq!(issuer.retire_key("k2"), Err(KeyError::Active("k2".into())));
    issuer.retire_key("k1").unwrap();
    assert!(issuer.prune_retired_keys().is_empty());
    assert!(block_on(issuer.verify_refresh(&before.refresh_token)).is_ok());
    clock.advance(issuer.refresh_ttl() + issuer.config().leeway + 1);
    assert_eq!(issuer.prune_retired_keys(), vec!["k1".to_owned()]);
    assert_eq!(issuer.keys().len(), 1);
    assert_eq!(issuer.jwks()["keys"].as_array().unwrap().len(), 1);
}

#[test]
fn a_removed_key_is_refused_at_once_even_for_cached_tokens() {
    let issuer = Issuer::new(ring(vec![
        es256("p256.pem").with_kid("good").active(),
        es256("p256-other.pem").with_kid("leaked"),
    ]))
    .unwrap();
    issuer.activate_key("leaked").unwrap();
    let token = issuer.issue_access("u", &()).unwrap();
    issuer.activate_key("good").unwrap();
    assert!(issuer.verify_access(&token).is_ok(), "cached now");
    issuer.remove_key("leaked").unwrap();
    assert!(matches!(
        issuer.verify_access(&token),
        Err(TokenError::UnknownKey)
    ));
    assert_eq!(
        issuer.remove_key("good"),
        Err(KeyError::Active("good".into()))
    );
    assert_eq!(
        issuer.remove_key("nope"),
        Err(KeyError::UnknownKid("nope".into()))
    );
}

#[test]
fn verify_only_keys_cannot_sign() {
    let issuer = Issuer::new(ring(vec![
        es256("p256.pem").with_kid("a").active(),
        KeyConfig::public_pem(Algorithm::ES256, key("p256-other.pub.pem")).with_kid("b"),
    ]))
    .unwrap();
    assert_eq!(
        issuer.activate_key("b"),
        Err(KeyError::CannotSign("b".into()))
    );
    let only_public = Issuer::new(ring(vec![KeyConfig::public_pem(
        Algorithm::ES256,
        key("p256.pub.pem"),
    )]))
    .unwrap();
    assert!(!only_public.can_issue());
}

#[test]
fn ring_configuration_mistakes_are_named() {
    let dup = ring(vec![
        es256("p256.pem").with_kid("k").active(),
        es256("p256-other.pem").with_kid("k"),
    ]);
    assert!(Issuer::new(dup).unwrap_err().to_string().contains("unique"));
    let two_active = ring(vec![
        es256("p256.pem").with_kid("a").active(),
        es256("p256-other.pem").with_kid("b").active(),
    ]);
    assert!(
        Issuer::new(two_active)
            .unwrap_err()
            .to_string()
            .contains("more than one key")
    );
    let mut not_json = KeyConfig::jwk(Secret::new("not json"));
    not_json.algorithm = Some(Algorithm::HS256);
    assert!(
        Issuer::new(ring(vec![not_json]))
            .unwrap_err()
            .to_string()
            .contains("JSON Web Key")
    );
    let mut hmac = KeyConfig::secret(Algorithm::HS256, Secret::new(SECRET), "x");
    hmac.kid = None;
    let err = Issuer::new(ring(vec![hmac])).unwrap_err();
    assert!(err.to_string().contains("explicit `kid`"), "{err}");
    let weak = ring(vec![
        es256("p256.pem").active(),
        KeyConfig::private_pem(Algorithm::RS256, Secret::new(key("rsa1024.pem"))).with_kid("weak"),
    ]);
    match Issuer::new(weak).unwrap_err() {
        ConfigError::InKey {
            index: 1,
            kid,
            source,
        } => {
            assert_eq!(kid.as_deref(), Some("weak"));
            assert!(matches!(
                *source,
                ConfigError::WeakRsaKey { bits: 1024, .. }
            ));
        }
        other => panic!("{other}"),
    }
    let verify_only_active = ring(vec![
        KeyConfig::public_pem(Algorithm::ES256, key("p256.pub.pem")).active(),
    ]);
    assert!(
        Issuer::new(verify_only_active)
            .unwrap_err()
            .to_string()
            .contains("cannot be active")
    );
}

#[test]
fn the_jwks_holds_public_keys_only() {
    let issuer = Issuer::new(ring(vec![
        es256("p256.pem").with_kid("ec").active(),
        KeyConfig::private_pem(Algorithm::RS256, Secret::new(key("rsa2048.pem"))).with_kid("rsa"),
        KeyConfig::private_pem(Algorithm::EdDSA, Secret::new(key("ed25519.pem"))).with_kid("ed"),
        KeyConfig::secret(Algorithm::HS256, Secret::new(SECRET), "hmac"),
    ]))
    .unwrap();
    let jwks = issuer.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "never the HMAC secret");
    for k in keys {
        assert_eq!(k["use"], "sig");
        assert!(k["kid"].is_string() && k["alg"].is_string());
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(k.get(private).is_none(), "{private} in {k}");
        }
    }
    assert!(!jwks.to_string().contains(SECRET));
}

#[test]
fn keys_from_jwks() {
    // A verify-only key given as a JWK (e.g. a partner's published key).
    let signer = Issuer::new(ring(vec![es256("p256.pem").with_kid("partner").active()])).unwrap();
    let jwk = signer.jwks()["keys"][0].to_string();
    let verifier = Issuer::new(ring(vec![KeyConfig::jwk(Secret::new(jwk))])).unwrap();
    let info = &verifier.keys()[0];
    assert_eq!(
        (info.kid.as_deref(), info.algorithm, info.can_sign),
        (Some("partner"), Algorithm::ES256, false)
    );
    assert!(
        verifier
            .verify_access(&signer.issue_access("u", &()).unwrap())
            .is_ok()
    );

    // An `oct` JWK is an HMAC secret.
    let oct =
        json!({"kty": "oct", "k": URL_SAFE_NO_PAD.encode(SECRET), "alg": "HS256", "kid": "shared"})
            .to_string();
    let issuer = Issuer::new(ring(vec![KeyConfig::jwk(Secret::new(oct)).active()])).unwrap();
    assert_eq!(
        header(&issuer.issue_access("u", &()).unwrap())["kid"],
        "shared"
    );

    // Private asymmetric JWKs are refused with a hint; a mismatching `alg` too.
    let private =
        json!({"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c", "alg": "ES256"})
            .to_string();
    assert!(
        Issuer::new(ring(vec![KeyConfig::jwk(Secret::new(private))]))
            .unwrap_err()
            .to_string()
            .contains("PEM")
    );
    let mut wrong_alg = KeyConfig::jwk(Secret::new(signer.jwks()["keys"][0].to_string()));
    wrong_alg.algorithm = Some(Algorithm::ES384);
    assert!(Issuer::new(ring(vec![wrong_alg])).is_err());
}

#[test]
fn a_ring_deserialises_from_the_auth_table() {
    let config: IssuerConfig = serde_json::from_value(json!({
        "keys": [
            {"kid": "2026-11", "algorithm": "ES256", "private_key_path": key_path("p256.pem"), "active": true},
            {"kid": "2026-08", "algorithm": "ES256", "public_key_path": key_path("p256-other.pub.pem")}
        ]
    }))
    .unwrap();
    let issuer = Issuer::new(config).unwrap();
    assert_eq!(issuer.keys().len(), 2);
    assert!(issuer.keys()[0].active);
    let typo: Result<IssuerConfig, _> = serde_json::from_value(json!({"keys": [{"kdi": "x"}]}));
    assert!(typo.is_err(), "unknown fields in a key are refused");
}
