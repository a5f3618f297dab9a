//! Request validation in S3's words: bucket names, object keys, tags, part numbers, numeric
//! query parameters.
//!
//! Keys are opaque to S3: `..`, a leading `/`, spaces and any UTF-8 are legal key text (and can
//! never reach the file system, whose names are ids). Only what S3 itself refuses is refused
//! here: keys over 1,024 bytes, and keys with a NUL byte, which no XML listing could carry.

use super::errors::{ErrorCode, S3Error};
use super::model::Tag;

pub const MAX_KEY_BYTES: usize = 1024;
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Parts other than the last must be at least this big.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest single PUT S3 accepts.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// S3's general-purpose bucket naming rules.
pub fn bucket_name(name: &str) -> Result<(), S3Error> {
    let invalid = |why: &str| {
        Err(S3Error::with_message(
            ErrorCode::InvalidBucketName,
            format!("The specified bucket is not valid: {why}"),
        )
        .detail("BucketName", name))
    };
    if !(3..=63).contains(&name.len()) {
        return invalid("bucket names must be between 3 and 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return invalid("bucket names may only contain lowercase letters, digits, '.' and '-'");
    }
    let first = name.as_bytes()[0];
    let last = name.as_bytes()[name.len() - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return invalid("bucket names must begin and end with a letter or digit");
    }
    if name.contains("..") {
        return invalid("bucket names must not contain two adjacent periods");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return invalid("bucket names must not be formatted as an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return invalid(&format!("bucket names must not start with '{prefix}'"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return invalid(&format!("bucket names must not end with '{suffix}'"));
        }
    }
    Ok(())
}

/// What S3 refuses in an object key.
pub fn object_key(key: &str) -> Result<(), S3Error> {
    if key.is_empty() {
        return Err(S3Error::invalid_argument(
            "The object key must not be empty",
            "key",
            "",
        ));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::new(ErrorCode::KeyTooLongError)
            .detail("Size", key.len().to_string())
            .detail("MaxSizeAllowed", MAX_KEY_BYTES.to_string()));
    }
    if key.contains('\0') {
        return Err(S3Error::invalid_argument(
            "Object keys must not contain a NUL character",
            "key",
            key.replace('\0', "\\0"),
        ));
    }
    Ok(())
}

/// A part number of UploadPart / UploadPartCopy.
pub fn part_number(raw: &str) -> Result<u32, S3Error> {
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_PART_NUMBER).contains(&n) => Ok(n),
        _ => Err(S3Error::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            raw,
        )),
    }
}

/// `max-keys`, `max-uploads`, `max-parts`: an integer, capped at 1000.
pub fn max_items(name: &str, raw: Option<&str>) -> Result<usize, S3Error> {
    match raw {
        None => Ok(1000),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n.min(1000) as usize),
            _ => Err(S3Error::invalid_argument(
                format!("Provided {name} not an integer or within integer range"),
                name,
                v,
            )),
        },
    }
}

/// A tag set: unique keys, S3's lengths, at most `max` tags.
pub fn tags(tags: &[Tag], max: usize) -> Result<(), S3Error> {
    if tags.len() > max {
        let msg = if max == 10 {
            "Object tags cannot be greater than 10".to_string()
        } else {
            format!("Bucket tag count cannot be greater than {max}")
        };
        return Err(S3Error::with_message(ErrorCode::InvalidTag, msg));
    }
    for (i, t) in tags.iter().enumerate() {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(S3Error::with_message(
                ErrorCode::InvalidTag,
                "The TagKey you have provided is invalid",
            ));
        }
        if t.value.chars().count() > 256 {
            return Err(S3Error::with_message(
                ErrorCode::InvalidTag,
                "The TagValue you have provided is invalid",
            ));
        }
        if tags[..i].iter().any(|o| o.key == t.key) {
            return Err(S3Error::with_message(
                ErrorCode::InvalidTag,
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

/// A region name as given in a LocationConstraint (`us-west-2`, `EU` for the legacy alias).
pub fn location_constraint(s: &str) -> Result<String, S3Error> {
    let ok = s == "EU"
        || (s.len() <= 32
            && s.contains('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    if !ok {
        return Err(
            S3Error::new(ErrorCode::InvalidLocationConstraint).detail("LocationConstraint", s)
        );
    }
    Ok(if s == "EU" {
        "eu-west-1".into()
    } else {
        s.into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.v2", "a1b", &"a".repeat(63), "192.168.5.a"] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "abc-s3alias",
            "a_b",
            "v1",
        ] {
            let e = bucket_name(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidBucketName, "{bad}");
        }
    }

    #[test]
    fn keys() {
        assert!(object_key("../../etc/passwd").is_ok());
        assert!(object_key("/abs/path").is_ok());
        assert_eq!(
            object_key(&"k".repeat(1025)).unwrap_err().code,
            ErrorCode::KeyTooLongError
        );
        assert!(object_key(&"k".repeat(1024)).is_ok());
        assert_eq!(
            object_key("a\0b").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn numbers_and_tags() {
        assert_eq!(part_number("1").unwrap(), 1);
        assert!(part_number("0").is_err());
        assert!(part_number("10001").is_err());
        assert_eq!(max_items("max-keys", Some("5000")).unwrap(), 1000);
        assert!(max_items("max-keys", Some("-1")).is_err());
        let t = |k: &str| Tag {
            key: k.into(),
            value: "v".into(),
        };
        assert!(tags(&[t("a"), t("b")], 10).is_ok());
        assert!(tags(&[t("a"), t("a")], 10).is_err());
        assert!(tags(&vec![t("x"); 11], 10).is_err());
        assert_eq!(location_constraint("EU").unwrap(), "eu-west-1");
        assert!(location_constraint("nowhere").is_err());
    }
}
