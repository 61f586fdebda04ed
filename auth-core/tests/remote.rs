//! Tokens of trusted third-party issuers, verified with keys fetched over real HTTP from
//! a provider on loopback (tests/remote/provider.rs) that we can make rotate keys, slow
//! down, fail, redirect, send huge bodies or go down.
#![cfg(feature = "remote-jwks")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "remote/provider.rs"]
mod provider;
#[path = "remote/support.rs"]
mod support;

use std::time::{Duration, Instant};

use auth_core::{
    Audience, Clock, ConfigError, Issuer, IssuerConfig, KeyConfig, Secret, TokenError, TokenType,
    TrustedIssuer, TrustedIssuerConfig, TrustedIssuers,
};
use serde_json::{Value, json};

use provider::{Provider, Reply};
use support::*;

type MT = tokio::runtime::Runtime;

fn rt() -> MT {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn assert_err(result: Result<auth_core::Claims, TokenError>, want: fn(&TokenError) -> bool) {
    match result {
        Err(e) if want(&e) => {}
        other => panic!("unexpected: {other:?}"),
    }
}

#[test]
fn jwks_url_verifies_and_caches() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        let (issuer, _clock) = issuer_at(config(&p));
        let got = issuer
            .verify(&key.token(Some("k1"), &claims()))
            .await
            .unwrap();
        assert_eq!(got.sub, "user-1");
        assert_eq!(got.iss.as_deref(), Some(ISS));
        assert_eq!(got.token_type, TokenType::External);
        assert!(got.scopes.contains_all(&["read", "write"]));
        assert_eq!(got.extra["email"], "u@example.com");
        assert_eq!(got.jti, "");
        for _ in 0..5 {
            issuer
                .verify(&key.token(Some("k1"), &claims()))
                .await
                .unwrap();
        }
        assert_eq!(p.hits("/jwks"), 1, "keys are cached");
        assert_eq!(issuer.issuer(), ISS);
        let debug = format!("{issuer:?}");
        assert!(debug.contains("k1") && debug.contains(ISS), "{debug}");
    });
}

#[test]
fn every_supported_key_type_and_keys_without_alg() {
    rt().block_on(async {
        let (rsa, ec, ed) = (rsa(), p256(), ed25519());
        let mut rsa_no_alg = rsa_other().jwk(Some("r2"));
        rsa_no_alg.as_object_mut().unwrap().remove("alg");
        let p = provider_with(&[
            rsa.jwk(Some("r1")),
            ec.jwk(Some("e1")),
            ed.jwk(Some("d1")),
            rsa_no_alg,
        ]);
        let (issuer, _clock) = issuer_at(config(&p));
        assert_eq!(issuer.refresh().await.unwrap(), 4);
        issuer
            .verify(&rsa.token(Some("r1"), &claims()))
            .await
            .unwrap();
        issuer
            .verify(&ec.token(Some("e1"), &claims()))
            .await
            .unwrap();
        issuer
            .verify(&ed.token(Some("d1"), &claims()))
            .await
            .unwrap();
        // A JWK without `alg` serves each allowed algorithm of its type (RS256, PS256).
        let other = rsa_other();
        issuer
            .verify(&other.token(Some("r2"), &claims()))
            .await
            .unwrap();
        let other_ps = rsa_other().with_alg(jsonwebtoken::Algorithm::PS256);
        issuer
            .verify(&other_ps.token(Some("r2"), &claims()))
            .await
            .unwrap();
        // ... but not one that is not allowed.
        let other_rs512 = rsa_other().with_alg(jsonwebtoken::Algorithm::RS512);
        assert_err(
            issuer
                .verify(&other_rs512.token(Some("r2"), &claims()))
                .await,
            |e| matches!(e, TokenError::AlgorithmMismatch),
        );
        assert_eq!(p.hits("/jwks"), 1);
    });
}

#[test]
fn our_own_issuer_tokens_verify_as_external() {
    rt().block_on(async {
        // A service of ours acting as the identity provider: its access tokens carry
        // `type: "access"`, which external validation keeps as an extra claim.
        let mut config = IssuerConfig::default();
        config.keys = vec![
            KeyConfig::private_pem(
                auth_core::Algorithm::ES256,
                Secret::new(
                    String::from_utf8(
                        std::fs::read(format!(
                            "{}/tests/data/keys/p256.pem",
                            env!("CARGO_MANIFEST_DIR")
                        ))
                        .unwrap(),
                    )
                    .unwrap(),
                ),
            )
            .with_kid("k1")
            .active(),
        ];
        config.issuer = Some(ISS.into());
        config.audience = Some(AUD.into());
        let idp = Issuer::new(config).unwrap();
        let p = Provider::start();
        p.set("/jwks", Reply::json(&idp.jwks()));
        let trusted =
            TrustedIssuer::new(TrustedIssuerConfig::jwks(ISS, p.url("/jwks"), AUD)).unwrap();
        let token = idp
            .issue_access("user-9", &json!({"scope": "read"}))
            .unwrap();
        let claims = trusted.verify(&token).await.unwrap();
        assert_eq!(claims.sub, "user-9");
        assert_eq!(claims.extra["type"], "access");
        assert!(claims.scopes.contains("read"));
        assert_eq!(claims.jti.len(), 32);
    });
}

#[test]
fn discovery_finds_the_jwks() {
    rt().block_on(async {
        let key = p256();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        p.set(
            "/realm/.well-known/openid-configuration",
            Reply::json(&json!({"issuer": p.url("/realm"), "jwks_uri": p.url("/jwks")})),
        );
        let config = TrustedIssuerConfig::discovery(p.url("/realm"), AUD);
        assert_eq!(
            config.discovery_url.as_deref(),
            Some(p.url("/realm/.well-known/openid-configuration").as_str())
        );
        let (issuer, clock) = issuer_at(config);
        let token = key.token(
            Some("k1"),
            &claims_with("iss", Some(json!(p.url("/realm")))),
        );
        issuer.verify(&token).await.unwrap();
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/realm/.well-known/openid-configuration"), 1);
        assert_eq!(p.hits("/jwks"), 1);
        // A refresh within cache_ttl reuses the discovered jwks_uri.
        clock.advance(600);
        issuer.refresh().await.unwrap();
        assert_eq!(p.hits("/realm/.well-known/openid-configuration"), 1);
        assert_eq!(p.hits("/jwks"), 2);
    });
}

#[test]
fn discovery_must_name_our_issuer_and_a_safe_jwks_uri() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        let path = "/.well-known/openid-configuration";
        let token = key.token(Some("k1"), &claims());
        for doc in [
            json!({"issuer": "https://someone-else.test/", "jwks_uri": p.url("/jwks")}),
            json!({"jwks_uri": p.url("/jwks")}),
            json!({"issuer": ISS}),
            json!({"issuer": ISS, "jwks_uri": "http://idp.example.com/jwks"}),
        ] {
            p.set(path, Reply::json(&doc));
            let mut config = TrustedIssuerConfig::discovery(ISS, AUD);
            config.discovery_url = Some(p.url(path));
            let (issuer, _clock) = issuer_at(config);
            assert_err(issuer.verify(&token).await, |e| {
                matches!(e, TokenError::KeysUnavailable)
            });
            assert!(issuer.refresh().await.is_err());
        }
        assert_eq!(p.hits("/jwks"), 0);
    });
}

#[test]
fn rotation_is_picked_up_on_first_sight_within_the_interval_rules() {
    rt().block_on(async {
        let (k1, k2) = (rsa(), rsa_other());
        let p = provider_with(&[k1.jwk(Some("k1"))]);
        let (issuer, clock) = issuer_at(config(&p));
        issuer
            .verify(&k1.token(Some("k1"), &claims()))
            .await
            .unwrap();
        assert_eq!(p.hits("/jwks"), 1);

        // The provider publishes k2; a token signed with it arrives at once: the last
        // fetch is too recent to fetch again, so it is refused without asking.
        p.set(
            "/jwks",
            Reply::json(&jwks(&[k1.jwk(Some("k1")), k2.jwk(Some("k2"))])),
        );
        let t2 = k2.token(Some("k2"), &claims());
        clock.advance(10);
        assert_err(issuer.verify(&t2).await, |e| {
            matches!(e, TokenError::UnknownKey)
        });
        assert_eq!(p.hits("/jwks"), 1);

        // Once the interval has passed, its first sight fetches and accepts it.
        clock.advance(50);
        issuer.verify(&t2).await.unwrap();
        assert_eq!(p.hits("/jwks"), 2);
        issuer
            .verify(&k1.token(Some("k1"), &claims()))
            .await
            .unwrap();
        assert_eq!(p.hits("/jwks"), 2);

        // The provider drops k1; once the cache expires, k1 tokens are refused.
        p.set("/jwks", Reply::json(&jwks(&[k2.jwk(Some("k2"))])));
        clock.advance(3600);
        assert_err(issuer.verify(&k1.token(Some("k1"), &claims())).await, |e| {
            matches!(e, TokenError::UnknownKey)
        });
        assert_eq!(p.hits("/jwks"), 3);
        // The manual clock also moved the tokens' time: fresh claims.
        let mut c = claims();
        c["iat"] = json!(NOW + 3660);
        c["exp"] = json!(NOW + 4000);
        issuer.verify(&k2.token(Some("k2"), &c)).await.unwrap();
    });
}

#[test]
fn cache_control_max_age_shortens_the_cache_but_not_below_the_interval() {
    rt().block_on(async {
        let key = rsa();
        let p = Provider::start();
        let doc = jwks(&[key.jwk(Some("k1"))]);
        p.set(
            "/jwks",
            Reply::json(&doc).header("Cache-Control", "public, max-age=120"),
        );
        let (issuer, clock) = issuer_at(config(&p));
        let token = key.token(Some("k1"), &claims());
        issuer.verify(&token).await.unwrap();
        clock.advance(119);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 1);
        clock.advance(1);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 2, "refreshed after max-age");

        p.set(
            "/jwks",
            Reply::json(&doc).header("Cache-Control", "no-store"),
        );
        clock.advance(120);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 3);
        clock.advance(30);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 3, "never more often than refresh_interval");
        clock.advance(30);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 4);
    });
}

#[test]
fn a_flood_of_unknown_kids_costs_one_fetch() {
    rt().block_on(async {
        let key = rsa();
        let p = Provider::start();
        // Slow enough that the whole flood arrives while the first fetch is in flight.
        p.set(
            "/jwks",
            Reply::json(&jwks(&[key.jwk(Some("k1"))])).slow(Duration::from_millis(300)),
        );
        let (issuer, clock) = issuer_at(config(&p));

        let flood = |issuer: TrustedIssuer, round: u32| async move {
            let mut tasks = Vec::new();
            for i in 0..200 {
                let issuer = issuer.clone();
                let token = key_token(round, i);
                tasks.push(tokio::spawn(async move { issuer.verify(&token).await }));
            }
            let mut unknown = 0;
            for t in tasks {
                if matches!(t.await.unwrap(), Err(TokenError::UnknownKey)) {
                    unknown += 1;
                }
            }
            unknown
        };

        // Cold: nothing cached, 200 concurrent tokens with random kids.
        assert_eq!(flood(issuer.clone(), 0).await, 200);
        assert_eq!(p.hits("/jwks"), 1);
        // Warm, within the interval: refused without asking.
        assert_eq!(flood(issuer.clone(), 1).await, 200);
        assert_eq!(p.hits("/jwks"), 1);
        // Next interval: one more fetch for the whole flood.
        clock.advance(60);
        assert_eq!(flood(issuer.clone(), 2).await, 200);
        assert_eq!(p.hits("/jwks"), 2);
        // The good key still works, without a fetch.
        issuer
            .verify(&key.token(Some("k1"), &claims()))
            .await
            .unwrap();
        assert_eq!(p.hits("/jwks"), 2);
    });
}

/// A token signed by a key the provider does not publish, with a random-looking kid.
fn key_token(round: u32, i: u32) -> String {
    rsa_other().token(
        Some(&format!(
            "kid-{round}-{i}-{:x}",
            i.wrapping_mul(2_654_435_761)
        )),
        &claims(),
    )
}

#[test]
fn a_slow_provider_times_out_and_stale_keys_serve() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        let mut config = config(&p);
        config.timeout = 1;
        let (issuer, clock) = issuer_at(config);
        assert_eq!(issuer.refresh().await.unwrap(), 1);

        p.set(
            "/jwks",
            Reply::json(&jwks(&[key.jwk(Some("k1"))])).slow(Duration::from_secs(3)),
        );
        clock.advance(3600); // expired: the next request refreshes
        let token = key.token(Some("k1"), &claims_with("exp", Some(json!(NOW + 7200))));

        // While one request waits on the slow refresh, others are served at once.
        let first = {
            let (issuer, token) = (issuer.clone(), token.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let r = issuer.verify(&token).await;
                (r, started.elapsed())
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        issuer.verify(&token).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        let (result, elapsed) = first.await.unwrap();
        result.unwrap(); // stale keys serve after the timeout
        assert!(
            elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(2500),
            "timed out after {elapsed:?}"
        );
        assert_eq!(p.hits("/jwks"), 2);

        // An unknown kid while the provider fails: the key may be new and could not be
        // fetched, so KeysUnavailable (503), without asking again within the interval.
        let unknown = rsa_other().token(Some("k2"), &claims_with("exp", Some(json!(NOW + 7200))));
        assert_err(issuer.verify(&unknown).await, |e| {
            matches!(e, TokenError::KeysUnavailable) && e.is_unavailable()
        });
        assert_eq!(p.hits("/jwks"), 2);
        // Next interval: it asks (and times out) once more.
        clock.advance(60);
        assert_err(issuer.verify(&unknown).await, |e| {
            matches!(e, TokenError::KeysUnavailable)
        });
        assert_eq!(p.hits("/jwks"), 3);
        issuer.verify(&token).await.unwrap();
    });
}

#[test]
fn an_abandoned_fetch_does_not_count_as_an_attempt() {
    rt().block_on(async {
        let key = rsa();
        let p = Provider::start();
        let doc = jwks(&[key.jwk(Some("k1"))]);
        p.set("/jwks", Reply::json(&doc).slow(Duration::from_secs(2)));
        let (issuer, _clock) = issuer_at(config(&p));
        let token = key.token(Some("k1"), &claims());
        // The first request's client goes away while its fetch is in flight.
        let first = {
            let (issuer, token) = (issuer.clone(), token.clone());
            tokio::spawn(async move { issuer.verify(&token).await })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());
        // The next request fetches at once instead of failing for a whole interval.
        p.set("/jwks", Reply::json(&doc));
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 2);
    });
}

#[test]
fn a_provider_that_is_down_serves_stale_keys_until_stale_ttl_then_fails_closed() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        let (issuer, clock) = issuer_at(config(&p));
        issuer.refresh().await.unwrap();
        p.set_down(true);
        // Long-lived claims: only the key cache's age matters here.
        let token = key.token(Some("k1"), &claims_with("exp", Some(json!(NOW + 200_000))));

        clock.advance(3600);
        issuer.verify(&token).await.unwrap(); // refresh fails, stale keys serve
        assert_eq!(
            p.total_hits(),
            1,
            "down: nothing answered after the first fetch"
        );
        clock.advance(86_400 - 3600 - 1); // one second before stale_ttl
        issuer.verify(&token).await.unwrap();
        clock.advance(1);
        assert_err(issuer.verify(&token).await, |e| {
            matches!(e, TokenError::KeysUnavailable)
        });
        assert!(issuer.refresh().await.is_err());

        // Back up: the next attempt (rate permitting) restores service.
        p.set_down(false);
        assert_err(issuer.verify(&token).await, |e| {
            matches!(e, TokenError::KeysUnavailable)
        });
        clock.advance(60);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 2);
    });
}

#[test]
fn never_fetched_fails_closed_and_is_retried_once_per_interval() {
    rt().block_on(async {
        let key = rsa();
        let p = Provider::start();
        p.set("/jwks", Reply::status(500));
        let (issuer, clock) = issuer_at(config(&p));
        let token = key.token(Some("k1"), &claims());
        for _ in 0..3 {
            assert_err(issuer.verify(&token).await, |e| {
                matches!(e, TokenError::KeysUnavailable)
            });
        }
        assert_eq!(p.hits("/jwks"), 1);
        p.set("/jwks", Reply::json(&jwks(&[key.jwk(Some("k1"))])));
        clock.advance(60);
        issuer.verify(&token).await.unwrap();
        assert_eq!(p.hits("/jwks"), 2);

        // Nothing listening at all.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/jwks", l.local_addr().unwrap())
        };
        let issuer = TrustedIssuer::new(TrustedIssuerConfig::jwks(ISS, closed, AUD)).unwrap();
        assert!(matches!(
            issuer.refresh().await,
            Err(TokenError::KeysUnavailable)
        ));
        assert_err(issuer.verify(&token).await, |e| {
            matches!(e, TokenError::KeysUnavailable)
        });
    });
}

#[test]
fn oversize_and_invalid_responses_are_refused() {
    rt().block_on(async {
        let key = rsa();
        let good = jwks(&[key.jwk(Some("k1"))]);
        let mut padded = good.clone();
        padded["padding"] = json!("x".repeat(300 * 1024));
        let token = key.token(Some("k1"), &claims());
        let p = Provider::start();
        for (reply, what) in [
            (Reply::json(&padded), "announced by Content-Length"),
            (Reply::json(&padded).without_length(), "streamed"),
            (Reply::status(404), "404"),
            (Reply::json(&json!({"keys": "nope"})), "no keys array"),
            (Reply::json(&json!([1, 2])), "not an object"),
        ] {
            p.set("/jwks", reply);
            let (issuer, _clock) = issuer_at(config(&p));
            assert!(issuer.refresh().await.is_err(), "{what}");
            assert_err(issuer.verify(&token).await, |e| {
                matches!(e, TokenError::KeysUnavailable)
            });
        }
        // A lower limit applies too, and the document is fine under the default.
        let mut medium = good.clone();
        medium["padding"] = json!("x".repeat(2000));
        p.set("/jwks", Reply::json(&medium).without_length());
        let mut small = config(&p);
        small.max_response_bytes = 1024;
        let (issuer, _clock) = issuer_at(small);
        assert!(issuer.refresh().await.is_err());
        let (issuer, _clock) = issuer_at(config(&p));
        issuer.verify(&token).await.unwrap();
    });
}

#[test]
fn redirects_are_not_followed() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        p.set("/old-jwks", Reply::redirect(&p.url("/jwks")));
        let config = TrustedIssuerConfig::jwks(ISS, p.url("/old-jwks"), AUD);
        let (issuer, _clock) = issuer_at(config);
        assert_err(
            issuer.verify(&key.token(Some("k1"), &claims())).await,
            |e| matches!(e, TokenError::KeysUnavailable),
        );
        assert_eq!(p.hits("/old-jwks"), 1);
        assert_eq!(p.hits("/jwks"), 0);
    });
}

#[test]
fn claims_are_checked() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        let (issuer, _clock) = issuer_at(config(&p));
        type Case = (Value, fn(&TokenError) -> bool);
        let cases: [Case; 8] = [
            (claims_with("iss", Some(json!("https://evil.test/"))), |e| {
                matches!(e, TokenError::InvalidIssuer)
            }),
            (claims_with("iss", None), |e| {
                matches!(e, TokenError::MissingClaim("iss"))
            }),
            (claims_with("aud", Some(json!("someone-else"))), |e| {
                matches!(e, TokenError::InvalidAudience)
            }),
            (claims_with("aud", None), |e| {
                matches!(e, TokenError::MissingClaim("aud"))
            }),
            (claims_with("exp", Some(json!(NOW - 31))), |e| {
                matches!(e, TokenError::Expired)
            }),
            (claims_with("exp", None), |e| {
                matches!(e, TokenError::MissingClaim("exp"))
            }),
            (claims_with("nbf", Some(json!(NOW + 120))), |e| {
                matches!(e, TokenError::NotYetValid)
            }),
            (claims_with("sub", Some(json!(""))), |e| {
                matches!(e, TokenError::InvalidClaim("sub"))
            }),
        ];
        for (claims, want) in cases {
            assert_err(issuer.verify(&key.token(Some("k1"), &claims)).await, want);
        }
        // A tampered payload.
        let token = key.token(Some("k1"), &claims());
        let forged = b64(claims_with("sub", Some(json!("admin")))
            .to_string()
            .as_bytes());
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = &forged;
        assert_err(issuer.verify(&parts.join(".")).await, |e| {
            matches!(e, TokenError::InvalidSignature)
        });
        // Signed by another key under our kid.
        assert_err(
            issuer
                .verify(&rsa_other().token(Some("k1"), &claims()))
                .await,
            |e| matches!(e, TokenError::InvalidSignature),
        );
        assert_eq!(p.hits("/jwks"), 1);
    });
}

#[test]
fn algorithm_confusion_is_refused() {
    rt().block_on(async {
        let key = rsa();
        // The JWK says PS256; a token claiming RS256 with the same key must not pass.
        let ps = rsa().with_alg(jsonwebtoken::Algorithm::PS256);
        let ec = p256();
        let p = provider_with(&[ps.jwk(Some("k1")), ec.jwk(Some("e1"))]);
        let (issuer, _clock) = issuer_at(config(&p));
        issuer
            .verify(&ps.token(Some("k1"), &claims()))
            .await
            .unwrap();
        let mismatch = |e: &TokenError| matches!(e, TokenError::AlgorithmMismatch);
        assert_err(
            issuer.verify(&key.token(Some("k1"), &claims())).await,
            mismatch,
        );
        // An EC key named by an RSA token.
        assert_err(
            issuer.verify(&key.token(Some("e1"), &claims())).await,
            mismatch,
        );

        // `none`.
        let body = b64(claims().to_string().as_bytes());
        for header in [
            json!({"alg": "none", "kid": "k1"}),
            json!({"alg": "None", "kid": "k1"}),
        ] {
            let token = format!("{}.{body}.", b64(header.to_string().as_bytes()));
            assert!(issuer.verify(&token).await.is_err());
            let token = format!("{}.{body}.c2ln", b64(header.to_string().as_bytes()));
            assert_err(issuer.verify(&token).await, mismatch);
        }
        // HS256 signed with the public key's JWK text or modulus as the secret.
        let secret = serde_json::to_vec(&ps.jwk(Some("k1"))).unwrap();
        let hs = jsonwebtoken::EncodingKey::from_secret(&secret).unwrap();
        let input = format!(
            "{}.{body}",
            b64(json!({"alg": "HS256", "kid": "k1"}).to_string().as_bytes())
        );
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &hs, jsonwebtoken::Algorithm::HS256)
            .unwrap();
        assert_err(issuer.verify(&format!("{input}.{sig}")).await, mismatch);
        // An algorithm outside the allow-list is refused before any key lookup or fetch.
        let rs512 = rsa().with_alg(jsonwebtoken::Algorithm::RS512);
        assert_err(
            issuer.verify(&rs512.token(Some("nope"), &claims())).await,
            mismatch,
        );
        assert_eq!(p.hits("/jwks"), 1);

        // A narrower allow-list for the issuer.
        let mut only_es = config(&p);
        only_es.algorithms = vec![auth_core::Algorithm::ES256];
        let (issuer, _clock) = issuer_at(only_es);
        issuer
            .verify(&ec.token(Some("e1"), &claims()))
            .await
            .unwrap();
        assert_err(
            issuer.verify(&ps.token(Some("k1"), &claims())).await,
            mismatch,
        );
    });
}

#[test]
fn oct_and_non_signature_keys_in_the_jwks_are_ignored() {
    rt().block_on(async {
        let key = rsa();
        let secret = "a-shared-secret-a-shared-secret-a-shared-secret";
        let oct = json!({"kty": "oct", "kid": "h1", "alg": "HS256", "k": b64(secret.as_bytes())});
        let mut enc = rsa_other().jwk(Some("enc1"));
        enc["use"] = json!("enc");
        let mut with_private = rsa_other().jwk(Some("priv1"));
        with_private["d"] = json!("AQAB");
        let p = provider_with(&[oct, enc, with_private, key.jwk(Some("k1"))]);
        let (issuer, _clock) = issuer_at(config(&p));
        assert_eq!(issuer.refresh().await.unwrap(), 1, "only k1 is usable");

        // A token made with the shared secret: HS256 is never allowed.
        let hs = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap();
        let input = format!(
            "{}.{}",
            b64(json!({"alg": "HS256", "kid": "h1"}).to_string().as_bytes()),
            b64(claims().to_string().as_bytes())
        );
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &hs, jsonwebtoken::Algorithm::HS256)
            .unwrap();
        assert_err(issuer.verify(&format!("{input}.{sig}")).await, |e| {
            matches!(e, TokenError::AlgorithmMismatch)
        });
        // The skipped keys are simply unknown.
        for kid in ["h1", "enc1", "priv1"] {
            assert_err(
                issuer
                    .verify(&rsa_other().token(Some(kid), &claims()))
                    .await,
                |e| matches!(e, TokenError::UnknownKey),
            );
        }
        // A JWKS with nothing usable is a failed fetch, not an empty key set.
        let only_oct = provider_with(&[json!({"kty": "oct", "k": b64(secret.as_bytes())})]);
        let (issuer, _clock) = issuer_at(config(&only_oct));
        assert!(matches!(
            issuer.refresh().await,
            Err(TokenError::KeysUnavailable)
        ));
    });
}

#[test]
fn keys_without_kid_serve_only_tokens_without_kid_and_only_when_alone() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(None)]);
        let (issuer, _clock) = issuer_at(config(&p));
        issuer.verify(&key.token(None, &claims())).await.unwrap();
        assert_err(
            issuer.verify(&key.token(Some("k1"), &claims())).await,
            |e| matches!(e, TokenError::UnknownKey),
        );

        let p = provider_with(&[key.jwk(None), rsa_other().jwk(None), p256().jwk(Some("e1"))]);
        let (issuer, _clock) = issuer_at(config(&p));
        assert_err(issuer.verify(&key.token(None, &claims())).await, |e| {
            matches!(e, TokenError::UnknownKey)
        });
    });
}

#[test]
fn keys_never_come_from_the_token() {
    rt().block_on(async {
        let key = rsa();
        let p = provider_with(&[key.jwk(Some("k1"))]);
        // The attacker's JWKS, on another loopback server.
        let evil = rsa_other();
        let attacker = provider_with(&[evil.jwk(Some("evil"))]);
        let (issuer, _clock) = issuer_at(config(&p));
        let header = json!({
            "alg": "RS256", "kid": "evil", "jku": attacker.url("/jwks"), "x5u": attacker.url("/jwks"),
            "jwk": evil.jwk(Some("evil")),
        });
        assert_err(issuer.verify(&evil.sign(&header, &claims())).await, |e| {
            matches!(e, TokenError::UnknownKey)
        });
        let header = json!({"alg": "RS256", "kid": "k1", "jwk": evil.jwk(Some("k1"))});
        assert_err(issuer.verify(&evil.sign(&header, &claims())).await, |e| {
            matches!(e, TokenError::InvalidSignature)
        });
        assert_eq!(attacker.total_hits(), 0);
    });
}

#[test]
fn trusted_issuers_pick_by_iss_and_only_handle_their_own() {
    rt().block_on(async {
        let (ka, kb) = (rsa(), p256());
        let pa = provider_with(&[ka.jwk(Some("a1"))]);
        let pb = provider_with(&[kb.jwk(Some("b1"))]);
        let iss_b = "https://other-idp.test";
        let mut config_b = TrustedIssuerConfig::jwks(iss_b, pb.url("/jwks"), "api-b");
        config_b.algorithms = vec![auth_core::Algorithm::ES256];
        let clock = Clock::manual(NOW);
        let set = TrustedIssuers::from_issuers(vec![
            TrustedIssuer::new(config(&pa))
                .unwrap()
                .with_clock(clock.clone()),
            TrustedIssuer::new(config_b.clone())
                .unwrap()
                .with_clock(clock.clone()),
        ]);
        assert!(!set.is_empty());
        assert_eq!(set.issuers().len(), 2);

        let ta = ka.token(Some("a1"), &claims());
        let mut cb = claims();
        cb["iss"] = json!(iss_b);
        cb["aud"] = json!("api-b");
        let tb = kb.token(Some("b1"), &cb);
        assert!(set.handles(&ta) && set.handles(&tb));
        assert_eq!(set.verify(&ta).await.unwrap().iss.as_deref(), Some(ISS));
        assert_eq!(
            set.verify(&tb).await.unwrap().aud,
            Some(Audience::One("api-b".into()))
        );
        // A's key cannot vouch for B's issuer, nor the reverse.
        let mut forged = cb.clone();
        forged["sub"] = json!("admin");
        assert_err(set.verify(&ka.token(Some("a1"), &forged)).await, |e| {
            matches!(e, TokenError::UnknownKey | TokenError::AlgorithmMismatch)
        });

        // Not ours: not handled, and refused without any fetch.
        let hits = pa.total_hits() + pb.total_hits();
        let stranger = ka.token(
            Some("a1"),
            &claims_with("iss", Some(json!("https://stranger.test/"))),
        );
        assert!(!set.handles(&stranger));
        assert_err(set.verify(&stranger).await, |e| {
            matches!(e, TokenError::InvalidIssuer)
        });
        let no_iss = ka.token(Some("a1"), &claims_with("iss", None));
        assert!(!set.handles(&no_iss));
        assert_err(set.verify(&no_iss).await, |e| {
            matches!(e, TokenError::MissingClaim("iss"))
        });
        assert!(!set.handles("not a token"));
        assert_eq!(pa.total_hits() + pb.total_hits(), hits);

        let refreshed = set.refresh_all().await;
        assert_eq!(refreshed.len(), 2);
        assert!(refreshed.iter().all(|(_, r)| matches!(r, Ok(1))));

        // Building from configs: duplicates are refused; empty is fine.
        assert!(TrustedIssuers::new(vec![config(&pa), config(&pa)]).is_err());
        assert!(TrustedIssuers::new(vec![]).unwrap().is_empty());
        assert!(!TrustedIssuers::new(vec![]).unwrap().handles(&ta));
    });
}

#[test]
fn configuration_is_checked_at_build() {
    let invalid = |c: TrustedIssuerConfig| match TrustedIssuer::new(c) {
        Err(ConfigError::InvalidValue { field, reason }) => format!("{field}: {reason}"),
        other => panic!("{other:?}"),
    };
    let ok = TrustedIssuerConfig::jwks(ISS, "https://idp.test/jwks", AUD);
    assert!(TrustedIssuer::new(ok.clone()).is_ok());
    let mut c = ok.clone();
    c.jwks_url = Some("http://idp.test/jwks".into());
    assert!(invalid(c).contains("https"));
    let mut c = ok.clone();
    c.audience = None;
    assert!(invalid(c).starts_with("audience"));
    let mut c = ok.clone();
    c.algorithms = vec![auth_core::Algorithm::HS256];
    assert!(invalid(c).starts_with("algorithms"));
    let mut c = ok.clone();
    c.discovery_url = Some("https://idp.test/.well-known/openid-configuration".into());
    assert!(invalid(c).contains("exactly one"));
    for loopback in [
        "http://localhost:1/jwks",
        "http://[::1]:1/jwks",
        "http://127.0.0.1:1/jwks",
    ] {
        let mut c = ok.clone();
        c.jwks_url = Some(loopback.into());
        assert!(TrustedIssuer::new(c).is_ok(), "{loopback}");
    }
    // From a config file.
    let c: TrustedIssuerConfig = serde_json::from_value(json!({
        "issuer": ISS, "discovery_url": "https://idp.test/.well-known/openid-configuration",
        "audience": ["a", "b"], "algorithms": ["RS256"], "refresh_interval": 30
    }))
    .unwrap();
    assert!(TrustedIssuer::new(c).is_ok());
    assert!(serde_json::from_value::<TrustedIssuerConfig>(json!({"jku": "x"})).is_err());
}
