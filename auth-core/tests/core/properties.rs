//! Property tests: round trips, and no input (random or mutated) ever panics or
//! verifies into something that was not signed.

use auth_core::{Issuer, RESERVED_CLAIMS, Scopes};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::support::*;

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e15f64..1e15).prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-z_]{1,10}", json_value(), 0..5).prop_map(|m| {
        m.into_iter()
            .filter(|(k, _)| !RESERVED_CLAIMS.contains(&k.as_str()))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn issued_tokens_verify_back_to_the_same_claims(sub in ".{1,40}", extra in extra_claims()) {
        let issuer = Issuer::new(hs256()).unwrap();
        let token = issuer.issue_access(&sub, &extra).unwrap();
        let claims = issuer.verify_access(&token).unwrap();
        prop_assert_eq!(&claims.sub, &sub);
        prop_assert_eq!(&claims.extra, &extra);
    }

    #[test]
    fn arbitrary_strings_are_refused_without_panicking(input in ".{0,300}") {
        let issuer = Issuer::new(hs256()).unwrap();
        prop_assert!(issuer.verify_access(&input).is_err());
    }

    #[test]
    fn dotted_garbage_is_refused_without_panicking(parts in prop::collection::vec("[A-Za-z0-9_=+/-]{0,60}", 0..6)) {
        let issuer = Issuer::new(hs256()).unwrap();
        prop_assert!(issuer.verify_access(&parts.join(".")).is_err());
    }

    #[test]
    fn mutated_tokens_never_verify_to_other_claims(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let issuer = Issuer::new(hs256()).unwrap();
        let token = issuer.issue_access("user-1", &json!({"role": "user"})).unwrap();
        let original = issuer.verify_access(&token).unwrap();
        let mut bytes = token.into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        if let Ok(mutated) = String::from_utf8(bytes)
            && let Ok(claims) = issuer.verify_access(&mutated)
        {
            // Only a no-op mutation (same byte) may verify.
            prop_assert_eq!(claims, original);
        }
    }

    #[test]
    fn any_signed_payload_is_checked_without_panicking(payload in prop::collection::btree_map(
        prop_oneof![Just("sub".to_owned()), Just("exp".to_owned()), Just("iat".to_owned()), Just("nbf".to_owned()),
                    Just("jti".to_owned()), Just("type".to_owned()), Just("aud".to_owned()), Just("iss".to_owned()),
                    Just("scope".to_owned()), "[a-z]{1,4}"],
        json_value(), 0..10)) {
        let (issuer, _) = issuer_at(hs256());
        let payload: Map<String, Value> = payload.into_iter().collect();
        let token = hs256_token(&Value::Object(payload));
        let _ = issuer.verify_access(&token);
    }

    #[test]
    fn scope_strings_round_trip(scopes in prop::collection::btree_set("[a-z:*]{1,12}", 0..6)) {
        let joined = scopes.iter().cloned().collect::<Vec<_>>().join(" ");
        let mut claims = Map::new();
        claims.insert("scope".into(), Value::String(joined));
        let parsed = Scopes::from_claims(&claims);
        prop_assert_eq!(parsed.len(), scopes.len());
        for s in &scopes {
            prop_assert!(parsed.contains(s));
        }
    }
}
