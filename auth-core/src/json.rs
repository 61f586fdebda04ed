//! Strict JSON for token headers and payloads.
//!
//! `serde_json::Value` keeps the last of two members with the same name; two parsers
//! that disagree on which one wins is a classic signature-bypass (RFC 8725 §3.9, RFC 7515
//! §5.2). Here a duplicate member name, at any depth, is an error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON object, refusing duplicate member names and trailing data.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, &'static str> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let StrictValue(value) = StrictValue::deserialize(&mut de).map_err(|e| classify(&e))?;
    de.end().map_err(|_| "trailing data after JSON")?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err("not a JSON object"),
    }
}

fn classify(e: &serde_json::Error) -> &'static str {
    if e.to_string().starts_with(DUPLICATE) {
        "duplicate member name"
    } else {
        "invalid JSON"
    }
}

const DUPLICATE: &str = "duplicate member";

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json never produces NaN or infinities; `Null` is unreachable in practice.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(DUPLICATE));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects() {
        let m = parse_object(br#"{"a":1,"b":[true,null,"x",{"c":2.5}]}"#).unwrap();
        assert_eq!(m["a"], 1);
        assert_eq!(m["b"][3]["c"], 2.5);
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err("duplicate member name")
        );
        assert_eq!(
            parse_object(br#"{"x":[{"a":1,"a":1}]}"#),
            Err("duplicate member name")
        );
        // Escapes decode to the same name: still a duplicate.
        assert_eq!(
            parse_object(br#"{"sub":"a","s\u0075b":"b"}"#),
            Err("duplicate member name")
        );
    }

    #[test]
    fn refuses_non_objects_and_trailing_data() {
        assert_eq!(parse_object(b"[1]"), Err("not a JSON object"));
        assert_eq!(parse_object(b"{} x"), Err("trailing data after JSON"));
        assert_eq!(parse_object(b"\xff"), Err("invalid JSON"));
        assert_eq!(parse_object(br#"{"a":"\ud800"}"#), Err("invalid JSON"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_object(deep.as_bytes()), Err("invalid JSON"));
    }
}
