//! Request validation for CodePipeline, in the order of the reference (2.3): model constraints
//! first (`shape`, one `ValidationException` listing every violation in AWS's words), then the
//! pipeline's semantic rules (`structure`: structure, stages, actions, each with its own
//! exception), and the rules of the other resources (`resources`: custom action types,
//! `UpdateActionType` declarations, webhooks, tags).
//!
//! This module owns the patterns of the model (written as character classes or small
//! matchers, no regex engine) and the helpers every validator shares.

use std::collections::HashSet;

use crate::protocol::validate::{member, CharClass, Violations};

use super::errors::{CodePipelineError, Result};
use super::model::Tag;

pub mod resources;
pub mod shape;
pub mod stages;
pub mod structure;

#[cfg(test)]
mod tests;

/// Pipeline, stage, action, rule and webhook names.
pub const NAME: CharClass = CharClass::new("[A-Za-z0-9.@\\-_]+", ".@-_");
pub const ARTIFACT_NAME: CharClass = CharClass::new("[a-zA-Z0-9_\\-]+", "_-");
pub const NAMESPACE: CharClass = CharClass::new("[A-Za-z0-9@\\-_]+", "@-_");
pub const PROVIDER: CharClass = CharClass::new("[0-9A-Za-z_-]+", "_-");
pub const VERSION: CharClass = CharClass::new("[0-9A-Za-z_-]+", "_-");
pub const STORE_LOCATION: CharClass = CharClass::new("[a-zA-Z0-9\\-\\.]+", "-.");
pub const VARIABLE_NAME: CharClass = CharClass::new("[A-Za-z0-9@\\-_]+", "@-_");
pub const ENV_NAME: CharClass = CharClass::new("[A-Za-z0-9_]+", "_");

pub const ROLE_ARN_PATTERN: &str = "arn:aws(-[\\w]+)*:iam::[0-9]{12}:role/.*";
pub const RESOURCE_ARN_PATTERN: &str = "arn:aws(-[\\w]+)*:codepipeline:.+:[0-9]{12}:.+";
pub const LAMBDA_ARN_PATTERN: &str = "arn:aws(-[\\w]+)*:lambda:.+:[0-9]{12}:function:.+";

/// Java's `.*`: any text without line terminators.
pub fn is_single_line(s: &str) -> bool {
    !s.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
}

/// `arn:aws(-[\w]+)*:`: the partition suffix after `arn:aws`.
fn partition_suffix_ok(seg: &str) -> bool {
    seg.is_empty()
        || seg.strip_prefix('-').is_some_and(|rest| {
            rest.split('-')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
}

fn twelve_digits(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `arn:aws(-[\w]+)*:<service>:.+:[0-9]{12}:<resource_prefix>.+` (a full match).
fn service_arn_matches(s: &str, service: &str, resource_prefix: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    if !partition_suffix_ok(partition) || !is_single_line(rest) {
        return false;
    }
    let Some(rest) = rest.strip_prefix(service).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    // `.+` before the account may itself contain colons: try every split.
    rest.match_indices(':').any(|(i, _)| {
        i > 0
            && rest.get(i + 1..i + 13).is_some_and(twelve_digits)
            && rest.get(i + 13..i + 14) == Some(":")
            && rest
                .get(i + 14..)
                .and_then(|r| r.strip_prefix(resource_prefix))
                .is_some_and(|r| !r.is_empty())
    })
}

/// `arn:aws(-[\w]+)*:iam::[0-9]{12}:role/.*`
pub fn is_role_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    partition_suffix_ok(partition)
        && rest.strip_prefix("iam::").is_some_and(|r| {
            r.get(..12).is_some_and(twelve_digits)
                && r.get(12..).is_some_and(|r| r.starts_with(":role/"))
                && is_single_line(r)
        })
}

pub fn is_resource_arn(s: &str) -> bool {
    service_arn_matches(s, "codepipeline", "")
}

pub fn is_lambda_arn(s: &str) -> bool {
    service_arn_matches(s, "lambda", "function:")
}

pub fn role_arn(v: &mut Violations, path: &str, value: &str) {
    if v.length(path, value, 0, 1024) {
        v.pattern(path, value, is_role_arn, ROLE_ARN_PATTERN);
    }
}

/// A `.*` string with a length range.
pub fn free_text(v: &mut Violations, path: &str, value: &str, min: usize, max: usize) {
    if v.length(path, value, min, max) {
        v.pattern(path, value, is_single_line, ".*");
    }
}

/// A list of strings: its size, then each member's length.
pub fn string_list(
    v: &mut Violations,
    path: &str,
    list: &[String],
    size: (usize, usize),
    len: (usize, usize),
) {
    v.list_len(path, list.len(), size.0, size.1);
    for (i, s) in list.iter().enumerate() {
        v.length(&member(path, i), s, len.0, len.1);
    }
}

/// Java's `Map.toString()`, the way AWS quotes a map that breaks a constraint.
fn java_map<'a>(entries: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let inner: Vec<String> = entries.map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// Length constraints on the keys and values of a string map.
pub fn string_map(
    v: &mut Violations,
    path: &str,
    map: &super::model::Configuration,
    key: (usize, usize),
    value: (usize, usize),
) {
    let outside = |s: &str, (min, max): (usize, usize)| {
        let n = s.chars().count();
        n < min || n > max
    };
    if map.keys().any(|k| outside(k, key)) {
        v.push(
            &java_map(map.iter()),
            path,
            &format!(
                "Map keys must satisfy constraint: [Member must have length less than or equal to {}, Member must have length greater than or equal to {}]",
                key.1, key.0
            ),
        );
    }
    if map.values().any(|s| outside(s, value)) {
        v.push(
            &java_map(map.iter()),
            path,
            &format!(
                "Map value must satisfy constraint: [Member must have length less than or equal to {}, Member must have length greater than or equal to {}]",
                value.1, value.0
            ),
        );
    }
}

/// `maxResults` within the model's range.
pub fn max_results(v: &mut Violations, path: &str, value: Option<i64>, max: i64) {
    if let Some(n) = value {
        v.range(path, n, 1, max);
    }
}

/// `nextToken`: 1-2048 characters.
pub fn next_token(v: &mut Violations, path: &str, value: Option<&String>) {
    if let Some(t) = value {
        v.length(path, t, 1, 2048);
    }
}

/// Shape of a tag list: keys 1-128, values 0-256.
pub fn tags_shape(v: &mut Violations, path: &str, tags: &[Tag]) {
    for (i, t) in tags.iter().enumerate() {
        let m = member(path, i);
        v.length(&format!("{m}.key"), &t.key, 1, 128);
        v.length(&format!("{m}.value"), &t.value, 0, 256);
    }
}

/// Characters AWS allows in tag keys and values: letters, spaces, digits and `_.:/=+-@`.
fn tag_text_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// Tag keys a caller may not set or remove.
pub fn check_tag_keys<'a>(keys: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for key in keys {
        if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
            return Err(CodePipelineError::InvalidTags(format!(
                "Tag keys starting with 'aws:' are reserved for AWS use: '{key}'"
            )));
        }
        if !tag_text_ok(key) {
            return Err(CodePipelineError::InvalidTags(format!(
                "Tag key '{key}' contains characters outside letters, digits, spaces and _.:/=+-@"
            )));
        }
        if !seen.insert(key) {
            return Err(CodePipelineError::InvalidTags(format!(
                "Tag key '{key}' is given more than once"
            )));
        }
    }
    Ok(())
}

/// The rules of tags beyond the model constraints (`InvalidTagsException`).
pub fn check_tags(tags: &[Tag]) -> Result<()> {
    check_tag_keys(tags.iter().map(|t| t.key.as_str()))?;
    if let Some(t) = tags.iter().find(|t| !tag_text_ok(&t.value)) {
        return Err(CodePipelineError::InvalidTags(format!(
            "The value of tag '{}' contains characters outside letters, digits, spaces and _.:/=+-@",
            t.key
        )));
    }
    Ok(())
}

/// At most 50 tags on one resource.
pub const MAX_TAGS: usize = 50;

/// Merges `new` into `existing` (same key: new value) and enforces the per-resource limit.
pub fn merge_tags(existing: &[Tag], new: &[Tag]) -> Result<Vec<Tag>> {
    let mut out = existing.to_vec();
    for t in new {
        match out.iter_mut().find(|e| e.key == t.key) {
            Some(e) => e.value = t.value.clone(),
            None => out.push(t.clone()),
        }
    }
    if out.len() > MAX_TAGS {
        return Err(CodePipelineError::TooManyTags(format!(
            "A resource can have at most {MAX_TAGS} tags; this request would leave {}",
            out.len()
        )));
    }
    Ok(out)
}

/// Region names as AWS's messages spell them: `us-east-1` -> `US_EAST_1`.
pub fn region_label(region: &str) -> String {
    region.to_ascii_uppercase().replace('-', "_")
}
