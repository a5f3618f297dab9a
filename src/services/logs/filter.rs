//! FilterLogEvents' filter patterns for unstructured events, as AWS documents them:
//!
//! - empty: every event;
//! - terms separated by spaces (`ERROR timeout`): every term occurs in the message;
//! - quoted phrases (`"Internal Server Error"`, with `\"` and `\\` escapes): one term with
//!   spaces and other characters;
//! - `?term` terms (`?ERROR ?WARN`): at least one of them occurs;
//! - `-term` terms (`ERROR -Retrying`): the term does not occur.
//!
//! Terms are case-sensitive and match anywhere in the message. JSON patterns (`{ $.x = 1 }`),
//! space-delimited patterns (`[ip, user, ...]`) and regular expressions (`%...%`) are answered
//! with `InvalidParameterException` naming them as not supported by simfra yet.

use super::errors::{LogsError, Result};

/// A parsed filter pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterPattern {
    /// Terms that must all occur.
    all: Vec<String>,
    /// Terms of which one must occur (when there are any).
    any: Vec<String>,
    /// Terms that must not occur.
    none: Vec<String>,
}

fn unsupported(kind: &str) -> LogsError {
    LogsError::invalid(format!(
        "{kind} filter patterns are not supported by simfra yet; use terms, quoted phrases, ?term and -term"
    ))
}

impl FilterPattern {
    pub fn parse(pattern: &str) -> Result<FilterPattern> {
        let p = pattern.trim();
        if p.starts_with('{') {
            return Err(unsupported("JSON"));
        }
        if p.starts_with('[') {
            return Err(unsupported("Space-delimited"));
        }
        if p.len() >= 2 && p.starts_with('%') && p.ends_with('%') {
            return Err(unsupported("Regular expression"));
        }
        let mut out = FilterPattern::default();
        let mut chars = p.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            let kind = match first {
                '?' => Some(&mut out.any),
                '-' => Some(&mut out.none),
                _ => None,
            };
            if kind.is_some() {
                chars.next();
            }
            let mut term = String::new();
            let quoted = chars.next_if_eq(&'"').is_some();
            if quoted {
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => term.extend(chars.next()),
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => term.push(c),
                    }
                }
                if !closed {
                    return Err(LogsError::invalid(format!(
                        "Invalid filter pattern: a quoted term is not closed in {pattern}"
                    )));
                }
            } else {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    term.push(c);
                }
            }
            match kind {
                // A lone `?` or `-` is a term of its own.
                Some(_) if !quoted && term.is_empty() => out.all.push(first.to_string()),
                Some(list) => list.push(term),
                None => out.all.push(term),
            }
        }
        Ok(out)
    }

    /// Whether the pattern matches every event (no filtering needed).
    pub fn is_everything(&self) -> bool {
        self.all.iter().all(String::is_empty) && self.any.is_empty() && self.none.is_empty()
    }

    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .matches(message)
    }

    #[test]
    fn empty_matches_everything() {
        assert!(m("", "anything"));
        assert!(m("   ", "anything"));
        assert!(FilterPattern::parse("").unwrap().is_everything());
        assert!(!FilterPattern::parse("x").unwrap().is_everything());
    }

    #[test]
    fn plain_terms_must_all_occur() {
        assert!(m("ERROR", "[ERROR] disk full"));
        assert!(m("ERROR disk", "[ERROR] disk full"));
        assert!(!m("ERROR memory", "[ERROR] disk full"));
        assert!(!m("error", "[ERROR] disk full"), "case-sensitive");
        assert!(m("Exception", "java.lang.IllegalStateException: x"));
    }

    #[test]
    fn quoted_phrases_are_one_term() {
        assert!(m("\"disk full\"", "[ERROR] disk full"));
        assert!(!m("\"full disk\"", "[ERROR] disk full"));
        assert!(m("\"[ERROR]\" \"code: 42\"", "[ERROR] code: 42"));
        assert!(m(r#""say \"hi\"""#, r#"they say "hi" here"#));
        assert!(m(r#""back\\slash""#, r"a back\slash"));
    }

    #[test]
    fn question_terms_are_alternatives() {
        assert!(m("?ERROR ?WARN", "WARN low memory"));
        assert!(m("?ERROR ?WARN", "ERROR gone"));
        assert!(!m("?ERROR ?WARN", "INFO fine"));
        assert!(m(
            "?\"Phase complete\" ?FAILED",
            "Phase complete: BUILD State: SUCCEEDED"
        ));
        // Plain terms still all apply next to alternatives.
        assert!(m("build ?ERROR ?WARN", "build WARN"));
        assert!(!m("build ?ERROR ?WARN", "test WARN"));
    }

    #[test]
    fn minus_terms_exclude() {
        assert!(m("ERROR -Retrying", "ERROR disk full"));
        assert!(!m("ERROR -Retrying", "ERROR Retrying in 5s"));
        assert!(!m("-\"in 5s\"", "Retrying in 5s"));
        assert!(m("a - b", "a - b"), "a lone minus is a term");
    }

    #[test]
    fn unsupported_and_broken_patterns_are_invalid_parameters() {
        for (p, what) in [
            ("{ $.level = \"ERROR\" }", "JSON"),
            ("[ip, user, status=404]", "Space-delimited"),
            ("%ERR(OR)?%", "Regular expression"),
        ] {
            let e = FilterPattern::parse(p).unwrap_err();
            assert_eq!(e.code(), "InvalidParameterException");
            assert!(e.message().contains(what), "{}", e.message());
            assert!(e.message().contains("not supported by simfra yet"));
        }
        let e = FilterPattern::parse("\"unterminated").unwrap_err();
        assert_eq!(e.code(), "InvalidParameterException");
    }
}
