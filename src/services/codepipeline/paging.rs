//! Opaque `nextToken`s: the hex encoding of the key of the last item of a page. A page resumes
//! right after that key in an ordered map, so its cost does not grow with the collection; a
//! token that does not decode is `InvalidNextTokenException`.

use super::errors::{CodePipelineError, Result};

pub fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode(token: &str) -> Result<String> {
    let bytes = token.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(2) {
        return Err(CodePipelineError::InvalidNextToken);
    }
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks(2) {
        let s = std::str::from_utf8(pair).map_err(|_| CodePipelineError::InvalidNextToken)?;
        out.push(u8::from_str_radix(s, 16).map_err(|_| CodePipelineError::InvalidNextToken)?);
    }
    String::from_utf8(out).map_err(|_| CodePipelineError::InvalidNextToken)
}

/// One page of an ordered sequence of `(key, item)`: up to `max` items after the token's key,
/// and the token of the next page when more remain.
pub fn page<'a, T: 'a>(
    items: impl Iterator<Item = (&'a str, T)>,
    max: usize,
) -> (Vec<T>, Option<String>) {
    let mut out = Vec::new();
    let mut last = None;
    let mut items = items.peekable();
    while out.len() < max {
        match items.next() {
            Some((k, v)) => {
                last = Some(k);
                out.push(v);
            }
            None => break,
        }
    }
    let next = match (items.peek(), last) {
        (Some(_), Some(k)) => Some(encode(k)),
        _ => None,
    };
    (out, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(
            decode(&encode("my-pipeline.1@x")).unwrap(),
            "my-pipeline.1@x"
        );
        for bad in ["", "abc", "zz", "ff", "not a token"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_end_without_token() {
        let keys = ["a", "b", "c"];
        let (p, next) = page(keys.iter().map(|k| (*k, *k)), 2);
        assert_eq!(p, ["a", "b"]);
        assert_eq!(decode(&next.unwrap()).unwrap(), "b");
        let (p, next) = page(keys.iter().map(|k| (*k, *k)), 3);
        assert_eq!(p.len(), 3);
        assert!(next.is_none());
    }
}
