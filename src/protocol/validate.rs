//! Shape validation in AWS's words: every model constraint (required, length, pattern, range,
//! enum, list size) that a request breaks is collected, then answered as one
//! `ValidationException` ("2 validation errors detected: ...; ...").
//!
//! Paths use AWS's form: 1-based list indices followed by `.member`, e.g.
//! `pipeline.stages.2.member.actions.1.member.runOrder`.

use super::error::ApiError;
use super::types::AwsEnum;

/// Collected constraint violations of one request.
#[derive(Debug, Default)]
pub struct Violations {
    items: Vec<String>,
}

/// `path` of the `index`th (0-based) member of the list at `list_path`.
pub fn member(list_path: &str, index: usize) -> String {
    format!("{list_path}.{}.member", index + 1)
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Records a violation in AWS's wording.
    pub fn push(&mut self, value: &str, path: &str, constraint: &str) {
        self.items.push(format!(
            "Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub fn required<T>(&mut self, path: &str, v: &Option<T>) -> bool {
        if v.is_none() {
            self.items.push(format!(
                "Value null at '{path}' failed to satisfy constraint: Member must not be null"
            ));
            return false;
        }
        true
    }

    /// String length in characters, as AWS counts it.
    pub fn length(&mut self, path: &str, v: &str, min: usize, max: usize) -> bool {
        let n = v.chars().count();
        if n < min {
            self.push(
                v,
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
            false
        } else if n > max {
            self.push(
                v,
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    /// A pattern check; `ok` decides, `pattern` is the regular expression shown to the user.
    pub fn pattern(
        &mut self,
        path: &str,
        v: &str,
        ok: impl Fn(&str) -> bool,
        pattern: &str,
    ) -> bool {
        if !ok(v) {
            self.push(
                v,
                path,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
            return false;
        }
        true
    }

    /// Length and a character-class pattern together (the most common AWS name rule).
    pub fn name(&mut self, path: &str, v: &str, min: usize, max: usize, class: CharClass) -> bool {
        self.length(path, v, min, max)
            && self.pattern(path, v, |s| class.matches_all(s), class.pattern)
    }

    pub fn range(&mut self, path: &str, v: i64, min: i64, max: i64) -> bool {
        if v < min {
            self.push(
                &v.to_string(),
                path,
                &format!("Member must have value greater than or equal to {min}"),
            );
            false
        } else if v > max {
            self.push(
                &v.to_string(),
                path,
                &format!("Member must have value less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    pub fn enumeration<E: AwsEnum>(&mut self, path: &str, v: &E) -> bool {
        if !v.is_known() {
            self.push(
                v.as_str(),
                path,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    E::VALUES.join(", ")
                ),
            );
            return false;
        }
        true
    }

    pub fn list_len(&mut self, path: &str, len: usize, min: usize, max: usize) -> bool {
        if len < min {
            self.push(
                "[...]",
                path,
                &format!("Member must have length greater than or equal to {min}"),
            );
            false
        } else if len > max {
            self.push(
                "[...]",
                path,
                &format!("Member must have length less than or equal to {max}"),
            );
            false
        } else {
            true
        }
    }

    /// `Ok(())`, or one ValidationException naming every violation.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.items[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.items.join("; ")
            ))),
        }
    }
}

/// A character class written as a regular expression `[...]+`, checked without a regex engine.
#[derive(Debug, Clone, Copy)]
pub struct CharClass {
    /// The pattern as AWS shows it.
    pub pattern: &'static str,
    /// Characters allowed besides ASCII letters and digits.
    pub extra: &'static str,
    pub letters: bool,
    pub digits: bool,
}

impl CharClass {
    pub const fn new(pattern: &'static str, extra: &'static str) -> Self {
        CharClass {
            pattern,
            extra,
            letters: true,
            digits: true,
        }
    }

    pub fn matches_char(&self, c: char) -> bool {
        (self.letters && c.is_ascii_alphabetic())
            || (self.digits && c.is_ascii_digit())
            || self.extra.contains(c)
    }

    pub fn matches_all(&self, s: &str) -> bool {
        !s.is_empty() && s.chars().all(|c| self.matches_char(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: CharClass = CharClass::new("[A-Za-z0-9.@\\-_]+", ".@-_");

    #[test]
    fn one_violation_uses_aws_wording() {
        let mut v = Violations::new();
        v.name("pipeline.name", "my pipe", 1, 100, NAME);
        let e = v.finish().unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'my pipe' at 'pipeline.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9.@\\-_]+"
        );
    }

    #[test]
    fn several_violations_are_counted() {
        let mut v = Violations::new();
        v.range(
            &format!("{}.runOrder", member("pipeline.stages", 1)),
            1000,
            1,
            999,
        );
        v.length("pipeline.name", "", 1, 100);
        let e = v.finish().unwrap_err();
        assert!(e.message.starts_with("2 validation errors detected: "));
        assert!(e.message.contains("'pipeline.stages.2.member.runOrder'"));
        assert!(e
            .message
            .contains("Member must have value less than or equal to 999"));
    }

    #[test]
    fn no_violation_is_ok() {
        let mut v = Violations::new();
        assert!(v.name("n", "ok-name_1.x@y", 1, 100, NAME));
        assert!(v.finish().is_ok());
    }
}
