//! Request validation in CloudWatch Logs' terms: names (groups `[\.\-_/#A-Za-z0-9]+`, streams
//! without `:` or `*`, both 1-512), limits, times, tags, retention days and log group ARNs.
//! Shape violations are collected with the protocol's [`Violations`] and answered, as
//! CloudWatch Logs does, as one `InvalidParameterException`.

use super::errors::{Code, LogsError, Result};
use super::model::Tags;
use crate::protocol::validate::{CharClass, Violations};

const GROUP_NAME: CharClass = CharClass::new("[\\.\\-_/#A-Za-z0-9]+", ".-_/#");

/// The retention periods AWS accepts, in days.
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// `Ok(())`, or every violation in one `InvalidParameterException`.
pub fn check(v: Violations) -> Result<()> {
    v.finish().map_err(LogsError::from)
}

fn required(v: &mut Violations, path: &str, value: Option<&str>) -> bool {
    v.required(path, &value)
}

/// A log group name (pattern first, then length, as AWS lists them); `None` is a violation.
pub fn group_name(v: &mut Violations, path: &str, name: Option<&str>) -> bool {
    required(v, path, name) && optional_group_name(v, path, name)
}

pub fn optional_group_name(v: &mut Violations, path: &str, name: Option<&str>) -> bool {
    let Some(name) = name else { return true };
    let pattern = v.pattern(
        path,
        name,
        |s| GROUP_NAME.matches_all(s),
        GROUP_NAME.pattern,
    );
    v.length(path, name, 1, 512) && pattern
}

pub fn stream_name(v: &mut Violations, path: &str, name: Option<&str>) -> bool {
    required(v, path, name) && optional_stream_name(v, path, name)
}

pub fn optional_stream_name(v: &mut Violations, path: &str, name: Option<&str>) -> bool {
    let Some(name) = name else { return true };
    let pattern = v.pattern(path, name, |s| !s.contains([':', '*']), "[^:*]*");
    v.length(path, name, 1, 512) && pattern
}

pub fn limit(v: &mut Violations, path: &str, limit: Option<i64>, max: i64) -> bool {
    limit.is_none_or(|l| v.range(path, l, 1, max))
}

pub fn time(v: &mut Violations, path: &str, t: Option<i64>) -> bool {
    t.is_none_or(|t| v.range(path, t, 0, i64::MAX))
}

pub fn token(v: &mut Violations, path: &str, token: Option<&str>) -> bool {
    token.is_none_or(|t| v.length(path, t, 1, usize::MAX))
}

/// Names starting with `aws/` (any case) are AWS's own.
pub fn not_reserved(name: &str) -> Result<()> {
    if name.len() >= 4 && name[..4].eq_ignore_ascii_case("aws/") {
        return Err(LogsError::invalid(
            "Log groups starting with AWS/ are reserved for AWS.",
        ));
    }
    Ok(())
}

fn tag_char(c: char, extra: &str) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) || extra.contains(c)
}

/// Tag keys and values as the model constrains them (the count is checked by the caller, once
/// the new tags are merged with the old).
pub fn tags(v: &mut Violations, path: &str, tags: &Tags) -> bool {
    let mut ok = true;
    for (k, val) in tags {
        ok &= v.length(&format!("{path}.key"), k, 1, 128);
        ok &= v.pattern(
            &format!("{path}.key"),
            k,
            |s| !s.is_empty() && s.chars().all(|c| tag_char(c, "")),
            "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$",
        );
        ok &= v.length(&format!("{path}.value"), val, 0, 256);
        ok &= v.pattern(
            &format!("{path}.value"),
            val,
            |s| s.chars().all(|c| tag_char(c, "")),
            "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
        );
    }
    ok
}

pub fn no_system_tags(tags: &Tags) -> Result<()> {
    if tags
        .keys()
        .any(|k| k.len() >= 4 && k[..4].eq_ignore_ascii_case("aws:"))
    {
        return Err(LogsError::invalid(
            "Tag keys starting with 'aws:' are reserved for AWS.",
        ));
    }
    Ok(())
}

pub fn too_many_tags(resource: &str) -> LogsError {
    LogsError::new(
        Code::TooManyTags,
        format!("A resource can have no more than 50 tags: {resource}"),
    )
}

pub fn retention(days: i64) -> Result<()> {
    if RETENTION_DAYS.contains(&days) {
        return Ok(());
    }
    let allowed: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
    Err(LogsError::invalid(format!(
        "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        allowed.join(", ")
    )))
}

/// A log group ARN: `arn:<partition>:logs:<region>:<account>:log-group:<name>`, with or
/// without the trailing `:*`. Returns (region, account, name).
pub fn parse_group_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(7, ':');
    let (Some("arn"), Some(_), Some("logs"), Some(region), Some(account), Some("log-group")) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = parts.next()?;
    let name = name.strip_suffix(":*").unwrap_or(name);
    (!name.is_empty() && GROUP_NAME.matches_all(name)).then_some((region, account, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(f: impl FnOnce(&mut Violations) -> bool) -> Option<String> {
        let mut v = Violations::new();
        f(&mut v);
        check(v).err().map(|e| {
            assert_eq!(e.code(), "InvalidParameterException");
            e.message().to_string()
        })
    }

    #[test]
    fn group_names() {
        assert_eq!(
            one(|v| group_name(v, "logGroupName", Some("/aws/codebuild/my-app_1.x#2"))),
            None
        );
        let e = one(|v| group_name(v, "logGroupName", Some("bad name"))).unwrap();
        assert_eq!(e, "1 validation error detected: Value 'bad name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
        let e = one(|v| group_name(v, "logGroupName", Some(""))).unwrap();
        assert!(e.starts_with("2 validation errors detected"), "{e}");
        let e = one(|v| group_name(v, "logGroupName", Some(&"a".repeat(513)))).unwrap();
        assert!(e.contains("less than or equal to 512"), "{e}");
        let e = one(|v| group_name(v, "logGroupName", None)).unwrap();
        assert!(e.contains("Value null at 'logGroupName'"), "{e}");
        assert!(not_reserved("aws/x").is_err());
        assert!(not_reserved("AWS/x").is_err());
        assert!(not_reserved("/aws/codebuild/x").is_ok());
    }

    #[test]
    fn stream_names() {
        assert_eq!(
            one(|v| stream_name(v, "logStreamName", Some("2024/01/01/[$LATEST]abc def"))),
            None
        );
        for bad in ["a:b", "a*", ""] {
            assert!(
                one(|v| stream_name(v, "logStreamName", Some(bad))).is_some(),
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_times_and_retention() {
        assert!(one(|v| limit(v, "limit", Some(0), 50)).is_some());
        assert!(one(|v| limit(v, "limit", Some(51), 50)).is_some());
        assert_eq!(one(|v| limit(v, "limit", Some(50), 50)), None);
        assert!(one(|v| time(v, "startTime", Some(-1))).is_some());
        assert!(retention(7).is_ok());
        assert_eq!(
            retention(8).unwrap_err().code(),
            "InvalidParameterException"
        );
    }

    #[test]
    fn tag_rules() {
        let ok: Tags = [("team".to_string(), "ci/cd @ home".to_string())].into();
        assert_eq!(one(|v| tags(v, "tags", &ok)), None);
        let bad: Tags = [("a!".to_string(), "x".to_string())].into();
        assert!(one(|v| tags(v, "tags", &bad)).is_some());
        let system: Tags = [("aws:x".to_string(), "x".to_string())].into();
        assert!(no_system_tags(&system).is_err());
    }

    #[test]
    fn group_arns() {
        assert_eq!(
            parse_group_arn("arn:aws:logs:us-east-1:000000000000:log-group:/aws/codebuild/x:*"),
            Some(("us-east-1", "000000000000", "/aws/codebuild/x"))
        );
        assert_eq!(
            parse_group_arn("arn:aws:logs:eu-west-1:123456789012:log-group:app"),
            Some(("eu-west-1", "123456789012", "app"))
        );
        assert_eq!(
            parse_group_arn("arn:aws:logs:us-east-1:0:log-group:a:log-stream:b"),
            None
        );
        assert_eq!(parse_group_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(parse_group_arn("app"), None);
    }
}
