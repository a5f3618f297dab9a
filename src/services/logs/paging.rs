//! Paging tokens: opaque to clients, self-describing to us (no server-side cursor state, so a
//! token survives a restart).
//!
//! - GetLogEvents: `f/<40 digits>/s` (forward) and `b/<40 digits>/s` (backward), the shape of
//!   AWS's tokens. The digits are a boundary [`Key`] in the stream: forward reads events at or
//!   after it, backward reads events before it. A read that finds nothing hands back the token
//!   it was given, which is how clients (the SDK paginator, `aws logs tail`-style loops) know
//!   they have reached the end.
//! - FilterLogEvents: the place of the last event returned in the merged order of the group's
//!   streams (timestamp, stream name, offset).
//! - DescribeLogGroups/DescribeLogStreams: the sort key of the last item returned.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::errors::{LogsError, Result};
use super::storage::Key;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// `i64` mapped onto `u64` keeping the order, so that it prints as fixed-width digits.
fn ordered(ts: i64) -> u64 {
    (ts as u64) ^ (1 << 63)
}

fn unordered(v: u64) -> i64 {
    (v ^ (1 << 63)) as i64
}

pub fn event_token(direction: Direction, key: Key) -> String {
    let d = match direction {
        Direction::Forward => 'f',
        Direction::Backward => 'b',
    };
    format!("{d}/{:020}{:020}/s", ordered(key.ts), key.offset)
}

pub fn parse_event_token(token: &str) -> Result<(Direction, Key)> {
    let (direction, rest) = match token.split_at_checked(2) {
        Some(("f/", rest)) => (Direction::Forward, rest),
        Some(("b/", rest)) => (Direction::Backward, rest),
        _ => return Err(LogsError::bad_token()),
    };
    let digits = rest.strip_suffix("/s").ok_or_else(LogsError::bad_token)?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(LogsError::bad_token());
    }
    let ts: u64 = digits[..20].parse().map_err(|_| LogsError::bad_token())?;
    let offset: u64 = digits[20..].parse().map_err(|_| LogsError::bad_token())?;
    Ok((
        direction,
        Key {
            ts: unordered(ts),
            offset,
        },
    ))
}

/// The place of an event in FilterLogEvents' merged order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FilterPlace {
    pub ts: i64,
    pub stream: String,
    pub offset: u64,
}

impl FilterPlace {
    /// The first key of `stream` that comes after this place.
    pub fn resume_key(&self, stream: &str) -> Key {
        match stream.cmp(self.stream.as_str()) {
            std::cmp::Ordering::Less => Key::at(self.ts.saturating_add(1)),
            std::cmp::Ordering::Equal => Key {
                ts: self.ts,
                offset: self.offset.saturating_add(1),
            },
            std::cmp::Ordering::Greater => Key::at(self.ts),
        }
    }
}

pub fn filter_token(place: &FilterPlace) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}/{}/{}", place.ts, place.offset, place.stream))
}

pub fn parse_filter_token(token: &str) -> Result<FilterPlace> {
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(LogsError::bad_token)?;
    let mut parts = raw.splitn(3, '/');
    let (Some(ts), Some(offset), Some(stream)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(LogsError::bad_token());
    };
    Ok(FilterPlace {
        ts: ts.parse().map_err(|_| LogsError::bad_token())?,
        offset: offset.parse().map_err(|_| LogsError::bad_token())?,
        stream: stream.to_string(),
    })
}

/// A Describe* token: the sort key of the last item returned.
pub fn list_token(last: &str) -> String {
    URL_SAFE_NO_PAD.encode(last)
}

pub fn parse_list_token(token: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(LogsError::bad_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_tokens_round_trip_and_keep_order() {
        for key in [
            Key::MIN,
            Key::MAX,
            Key::at(0),
            Key {
                ts: 1_716_981_234_512,
                offset: 4242,
            },
            Key { ts: -5, offset: 1 },
        ] {
            for d in [Direction::Forward, Direction::Backward] {
                let t = event_token(d, key);
                assert_eq!(t.len(), 44, "{t}");
                assert_eq!(parse_event_token(&t).unwrap(), (d, key));
            }
        }
        let a = event_token(Direction::Forward, Key::at(-1));
        let b = event_token(Direction::Forward, Key::at(1));
        assert!(a < b, "digits sort like keys");
    }

    #[test]
    fn bad_event_tokens_are_invalid_parameters() {
        for bad in [
            "",
            "f/",
            "x/0000/s",
            "f/123/s",
            &format!("f/{}/x", "0".repeat(40)),
        ] {
            let e = parse_event_token(bad).unwrap_err();
            assert_eq!(e.code(), "InvalidParameterException", "{bad}");
        }
        let overflow = format!("f/{}/s", "9".repeat(40));
        assert!(parse_event_token(&overflow).is_err());
    }

    #[test]
    fn filter_places_resume_after_the_last_event() {
        let place = FilterPlace {
            ts: 100,
            stream: "m".into(),
            offset: 40,
        };
        let t = filter_token(&place);
        assert_eq!(parse_filter_token(&t).unwrap(), place);
        assert_eq!(place.resume_key("a"), Key::at(101));
        assert_eq!(
            place.resume_key("m"),
            Key {
                ts: 100,
                offset: 41
            }
        );
        assert_eq!(place.resume_key("z"), Key::at(100));
        assert!(parse_filter_token("!!").is_err());
        assert!(parse_filter_token(&URL_SAFE_NO_PAD.encode("1/x/s")).is_err());
        let slashes = FilterPlace {
            ts: 1,
            stream: "a/b/c".into(),
            offset: 2,
        };
        assert_eq!(
            parse_filter_token(&filter_token(&slashes)).unwrap(),
            slashes
        );
    }

    #[test]
    fn list_tokens_round_trip() {
        assert_eq!(
            parse_list_token(&list_token("/aws/codebuild/x")).unwrap(),
            "/aws/codebuild/x"
        );
        assert!(parse_list_token("***").is_err());
    }
}
