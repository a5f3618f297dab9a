//! Request validation in AWS's words (ValidationException listing every violation).

use super::errors::EventsError as E;
use crate::protocol::validate::{CharClass, Violations};

pub const RULE_NAME: CharClass = CharClass::new("[\\.\\-_A-Za-z0-9]+", ".-_");
pub const BUS_NAME: CharClass = CharClass::new("[/\\.\\-_A-Za-z0-9]+", "/.-_");
pub const TARGET_ID: CharClass = CharClass::new("[\\.\\-_A-Za-z0-9]+", ".-_");

pub fn finish(v: Violations) -> Result<(), E> {
    v.finish().map_err(|e| E::Validation(e.message))
}

/// A bus given by name or ARN, as a name (default: `default`).
pub fn bus_name(v: &mut Violations, path: &str, given: Option<&str>) -> String {
    let Some(given) = given else {
        return "default".to_string();
    };
    let name = match given.strip_prefix("arn:") {
        Some(_) => match given.split_once(":event-bus/") {
            Some((_, n)) => n,
            None => {
                v.push(
                    given,
                    path,
                    "Member must be an event bus name or event bus ARN",
                );
                return given.to_string();
            }
        },
        None => given,
    };
    v.name(path, name, 1, 256, BUS_NAME);
    name.to_string()
}

pub fn limit(v: &mut Violations, path: &str, limit: Option<i64>) -> usize {
    match limit {
        Some(n) => {
            v.range(path, n, 1, 100);
            n.clamp(1, 100) as usize
        }
        None => 100,
    }
}

/// An opaque page token: the index of the next item.
pub fn token(v: &mut Violations, t: Option<&str>) -> usize {
    match t {
        None => 0,
        Some(t) => match t.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                v.push(
                    t,
                    "nextToken",
                    "Member must be a token returned by a previous call",
                );
                0
            }
        },
    }
}

/// One page of `items` and the token of the next.
pub fn page<T>(items: Vec<T>, start: usize, limit: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = (start + limit < total).then(|| (start + limit).to_string());
    (page, next)
}

pub fn optional_length(v: &mut Violations, path: &str, s: Option<&str>, max: usize) {
    if let Some(s) = s {
        v.length(path, s, 0, max);
    }
}

pub fn tags(v: &mut Violations, path: &str, tags: &[super::model::Tag]) {
    v.list_len(path, tags.len(), 0, 50);
    for (i, t) in tags.iter().enumerate() {
        let p = crate::protocol::validate::member(path, i);
        v.length(&format!("{p}.key"), &t.key, 1, 128);
        v.length(&format!("{p}.value"), &t.value, 0, 256);
    }
}
