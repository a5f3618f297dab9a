//! `nextToken`s of the list operations. A list is a sequence of `(key, item)` in ascending key
//! order; a token is the hex form of the last key of a page, and the next page starts at the
//! first key after it (so an item added or removed between pages does not shift the rest). A
//! token that does not decode is `InvalidNextTokenException`.

use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};

/// Items per page (CodeDeploy's list operations return up to 100).
pub const PAGE: usize = 100;

pub fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode(token: &str) -> Result<String> {
    let invalid = || E::new(Code::InvalidNextToken, "The next token is invalid");
    let bytes = token.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(2) {
        return Err(invalid());
    }
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks(2) {
        let s = std::str::from_utf8(pair).map_err(|_| invalid())?;
        out.push(u8::from_str_radix(s, 16).map_err(|_| invalid())?);
    }
    String::from_utf8(out).map_err(|_| invalid())
}

/// One page of `items` (sorted by key) after `token`'s key.
pub fn page<T>(
    items: Vec<(String, T)>,
    token: Option<&str>,
    max: usize,
) -> Result<(Vec<T>, Option<String>)> {
    let after = token.map(decode).transpose()?;
    let mut rest = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .peekable();
    let mut out = Vec::new();
    let mut last = None;
    while out.len() < max {
        match rest.next() {
            Some((k, v)) => {
                last = Some(k);
                out.push(v);
            }
            None => break,
        }
    }
    let next = match (rest.peek(), last) {
        (Some(_), Some(k)) => Some(encode(&k)),
        _ => None,
    };
    Ok((out, next))
}

/// A key that sorts `millis` newest first.
pub fn newest_first(millis: i64, tie: &str) -> String {
    format!("{:020}|{tie}", i64::MAX - millis)
}

/// A key that sorts `millis` oldest first.
pub fn oldest_first(millis: i64, tie: &str) -> String {
    format!("{:020}|{tie}", millis.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("k{i:03}"), i)).collect()
    }

    #[test]
    fn pages_follow_each_other_without_gaps() {
        let (first, next) = page(items(250), None, PAGE).unwrap();
        assert_eq!(first.len(), 100);
        let (second, next) = page(items(250), next.as_deref(), PAGE).unwrap();
        assert_eq!(second[0], 100);
        let (third, next) = page(items(250), next.as_deref(), PAGE).unwrap();
        assert_eq!(third.len(), 50);
        assert_eq!(*third.last().unwrap(), 249);
        assert!(next.is_none());
        let (all, next) = page(items(100), None, PAGE).unwrap();
        assert_eq!(all.len(), 100);
        assert!(next.is_none(), "an exactly full last page has no token");
    }

    #[test]
    fn bad_tokens_are_invalid_next_token() {
        for bad in ["", "abc", "zz", "ff"] {
            let e = page(items(3), Some(bad), PAGE).unwrap_err();
            assert_eq!(e.code(), "InvalidNextTokenException", "{bad}");
        }
        assert_eq!(decode(&encode("app/é")).unwrap(), "app/é");
    }

    #[test]
    fn time_keys_order_as_named() {
        assert!(newest_first(2_000, "a") < newest_first(1_000, "a"));
        assert!(oldest_first(1_000, "a") < oldest_first(2_000, "a"));
    }
}
