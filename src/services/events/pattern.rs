//! Event patterns: parsing a pattern once (at PutRule / TestEventPattern) into a tree of
//! typed matchers, and matching events against that tree. Pure: no I/O, no locks.
//!
//! Semantics (EventBridge's documented grammar):
//! - a pattern is a JSON object mirroring the event; every field in it must match (AND);
//! - a leaf is an array of alternatives (OR); literals match exactly (numbers numerically);
//! - an event array matches when any of its elements matches;
//! - operators are one-key objects inside a leaf array: `prefix`, `suffix`,
//!   `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`, `cidr`;
//! - `"$or": [{...}, {...}]` at any object level: at least one branch must match.
//!
//! An event is matched as a `serde_json::Value` built once per event, whatever the number of
//! rules.

use std::net::IpAddr;

use serde_json::Value;

/// A parsed, valid event pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    root: Node,
}

/// One object level of a pattern.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    fields: Vec<(String, Field)>,
    /// Each `$or` at this level: one of its branches must match.
    ors: Vec<Vec<Node>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Field {
    Nested(Node),
    Leaf(Vec<Matcher>),
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    Exact(Literal),
    Prefix { value: String, ignore_case: bool },
    Suffix { value: String, ignore_case: bool },
    EqualsIgnoreCase(String),
    Wildcard(String),
    AnythingBut(AnythingBut),
    Numeric(Range),
    Exists(bool),
    Cidr(Cidr),
}

#[derive(Debug, Clone, PartialEq)]
enum AnythingBut {
    Values(Vec<Literal>),
    Prefix(String),
    Suffix(String),
    IgnoreCase(Vec<String>),
    Wildcard(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
struct Range {
    /// (bound, inclusive)
    lower: Option<(f64, bool)>,
    upper: Option<(f64, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
struct Cidr {
    net: IpAddr,
    bits: u8,
}

/// AWS's limit on numbers in `numeric` matchers.
const NUMERIC_LIMIT: f64 = 5.0e9;

/// Why a pattern is not valid (the text after "Reason: ").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Event pattern is not valid. Reason: {}", self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, PatternError> {
    Err(PatternError(msg.into()))
}

impl Pattern {
    /// Parses a pattern from its JSON text.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| PatternError(format!("the pattern is not valid JSON: {e}")))?;
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Pattern, PatternError> {
        let Value::Object(_) = value else {
            return err("the pattern must be a JSON object");
        };
        let root = parse_node(value, "")?;
        if root.fields.is_empty() && root.ors.is_empty() {
            return err("the pattern is empty: it must name at least one field");
        }
        Ok(Pattern { root })
    }

    /// Whether the event (a JSON object) matches.
    pub fn matches(&self, event: &Value) -> bool {
        match_node(&self.root, Some(event))
    }
}

fn path_of(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn parse_node(value: &Value, path: &str) -> Result<Node, PatternError> {
    let Value::Object(map) = value else {
        return err(format!("'{path}' must be an object"));
    };
    let mut node = Node {
        fields: Vec::new(),
        ors: Vec::new(),
    };
    for (key, v) in map {
        let here = path_of(path, key);
        if key == "$or" {
            let Value::Array(branches) = v else {
                return err(format!("'{here}' must be an array of objects"));
            };
            if branches.len() < 2 {
                return err(format!("'{here}' must have at least two branches"));
            }
            let mut parsed = Vec::new();
            for b in branches {
                if !b.is_object() {
                    return err(format!("every branch of '{here}' must be an object"));
                }
                let n = parse_node(b, path)?;
                if n.fields.is_empty() && n.ors.is_empty() {
                    return err(format!("a branch of '{here}' is empty"));
                }
                parsed.push(n);
            }
            node.ors.push(parsed);
            continue;
        }
        match v {
            Value::Object(inner) => {
                if inner.is_empty() {
                    return err(format!("'{here}' is an empty object"));
                }
                node.fields.push((key.clone(), Field::Nested(parse_node(v, &here)?)));
            }
            Value::Array(items) => {
                if items.is_empty() {
                    return err(format!("'{here}' is an empty array: a leaf needs at least one value"));
                }
                let mut matchers = Vec::with_capacity(items.len());
                for item in items {
                    matchers.push(parse_matcher(item, &here)?);
                }
                node.fields.push((key.clone(), Field::Leaf(matchers)));
            }
            _ => {
                return err(format!(
                    "'{here}' must be an object or an array (match values go in an array, e.g. [\"value\"])"
                ))
            }
        }
    }
    Ok(node)
}

fn literal(v: &Value) -> Option<Literal> {
    match v {
        Value::String(s) => Some(Literal::Str(s.clone())),
        Value::Number(n) => n.as_f64().map(Literal::Num),
        Value::Bool(b) => Some(Literal::Bool(*b)),
        Value::Null => Some(Literal::Null),
        _ => None,
    }
}

fn parse_matcher(item: &Value, path: &str) -> Result<Matcher, PatternError> {
    let Value::Object(op) = item else {
        return match item {
            Value::Array(_) => err(format!(
                "'{path}' contains a nested array, which is not allowed"
            )),
            _ => Ok(Matcher::Exact(literal(item).expect("scalar"))),
        };
    };
    if op.len() != 1 {
        return err(format!(
            "a match operator in '{path}' must be an object with exactly one key"
        ));
    }
    let (name, arg) = op.iter().next().expect("one key");
    match name.as_str() {
        "prefix" | "suffix" => {
            let (value, ignore_case) = match arg {
                Value::String(s) => (s.clone(), false),
                Value::Object(o) if o.len() == 1 => match o.get("equals-ignore-case") {
                    Some(Value::String(s)) => (s.clone(), true),
                    _ => {
                        return err(format!(
                            "'{name}' in '{path}' takes a string or {{\"equals-ignore-case\": \"...\"}}"
                        ))
                    }
                },
                _ => return err(format!("'{name}' in '{path}' must be a string")),
            };
            Ok(if name == "prefix" {
                Matcher::Prefix { value, ignore_case }
            } else {
                Matcher::Suffix { value, ignore_case }
            })
        }
        "equals-ignore-case" => match arg {
            Value::String(s) => Ok(Matcher::EqualsIgnoreCase(s.clone())),
            _ => err(format!("'equals-ignore-case' in '{path}' must be a string")),
        },
        "wildcard" => match arg {
            Value::String(s) => {
                check_wildcard(s, path)?;
                Ok(Matcher::Wildcard(s.clone()))
            }
            _ => err(format!("'wildcard' in '{path}' must be a string")),
        },
        "exists" => match arg {
            Value::Bool(b) => Ok(Matcher::Exists(*b)),
            _ => err(format!("'exists' in '{path}' must be true or false")),
        },
        "numeric" => parse_numeric(arg, path).map(Matcher::Numeric),
        "cidr" => match arg {
            Value::String(s) => parse_cidr(s).map(Matcher::Cidr).ok_or_else(|| {
                PatternError(format!("'{s}' in '{path}' is not a valid CIDR block"))
            }),
            _ => err(format!("'cidr' in '{path}' must be a string")),
        },
        "anything-but" => parse_anything_but(arg, path).map(Matcher::AnythingBut),
        other => err(format!(
            "'{other}' in '{path}' is not a recognised match operator"
        )),
    }
}

fn string_list(arg: &Value, what: &str, path: &str) -> Result<Vec<String>, PatternError> {
    match arg {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => err(format!("'{what}' in '{path}' takes only strings")),
            })
            .collect(),
        _ => err(format!(
            "'{what}' in '{path}' takes a string or a non-empty array of strings"
        )),
    }
}

fn parse_anything_but(arg: &Value, path: &str) -> Result<AnythingBut, PatternError> {
    match arg {
        Value::String(_) | Value::Number(_) => Ok(AnythingBut::Values(vec![literal(arg).expect("scalar")])),
        Value::Array(items) => {
            if items.is_empty() {
                return err(format!("'anything-but' in '{path}' has an empty array"));
            }
            let strings = items.iter().all(Value::is_string);
            let numbers = items.iter().all(Value::is_number);
            if !strings && !numbers {
                return err(format!(
                    "'anything-but' in '{path}' takes an array of only strings or only numbers"
                ));
            }
            Ok(AnythingBut::Values(items.iter().filter_map(literal).collect()))
        }
        Value::Object(o) if o.len() == 1 => {
            let (name, inner) = o.iter().next().expect("one key");
            match name.as_str() {
                "prefix" | "suffix" => match inner {
                    Value::String(s) if !s.is_empty() => Ok(if name == "prefix" {
                        AnythingBut::Prefix(s.clone())
                    } else {
                        AnythingBut::Suffix(s.clone())
                    }),
                    _ => err(format!(
                        "'anything-but/{name}' in '{path}' must be a non-empty string"
                    )),
                },
                "equals-ignore-case" => string_list(inner, "anything-but/equals-ignore-case", path)
                    .map(AnythingBut::IgnoreCase),
                "wildcard" => {
                    let list = string_list(inner, "anything-but/wildcard", path)?;
                    for w in &list {
                        check_wildcard(w, path)?;
                    }
                    Ok(AnythingBut::Wildcard(list))
                }
                other => err(format!(
                    "'{other}' in '{path}' cannot be used inside 'anything-but' (use prefix, suffix, equals-ignore-case or wildcard)"
                )),
            }
        }
        _ => err(format!(
            "'anything-but' in '{path}' takes a string, a number, an array, or one of prefix/suffix/equals-ignore-case/wildcard"
        )),
    }
}

fn parse_numeric(arg: &Value, path: &str) -> Result<Range, PatternError> {
    let Value::Array(items) = arg else {
        return err(format!(
            "'numeric' in '{path}' must be an array such as [\">\", 0, \"<=\", 5]"
        ));
    };
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return err(format!(
            "'numeric' in '{path}' must be one or two (operator, number) pairs"
        ));
    }
    let mut range = Range {
        lower: None,
        upper: None,
    };
    for pair in items.chunks(2) {
        let Value::String(op) = &pair[0] else {
            return err(format!(
                "'numeric' in '{path}': expected an operator, found {}",
                pair[0]
            ));
        };
        let Some(n) = pair[1].as_f64().filter(|_| pair[1].is_number()) else {
            return err(format!(
                "'numeric' in '{path}': the value after '{op}' must be a number, found {}",
                pair[1]
            ));
        };
        if !(-NUMERIC_LIMIT..=NUMERIC_LIMIT).contains(&n) {
            return err(format!(
                "'numeric' in '{path}': {n} is outside the supported range -5e9..5e9"
            ));
        }
        let slot = match op.as_str() {
            "=" => {
                if items.len() != 2 {
                    return err(format!(
                        "'numeric' in '{path}': '=' cannot be combined with another bound"
                    ));
                }
                range.lower = Some((n, true));
                range.upper = Some((n, true));
                continue;
            }
            ">" | ">=" => &mut range.lower,
            "<" | "<=" => &mut range.upper,
            other => {
                return err(format!(
                    "'numeric' in '{path}': '{other}' is not a numeric operator (=, <, <=, >, >=)"
                ))
            }
        };
        if slot.is_some() {
            return err(format!(
                "'numeric' in '{path}' has two bounds on the same side"
            ));
        }
        *slot = Some((n, op.ends_with('=')));
    }
    if let (Some((lo, _)), Some((hi, _))) = (range.lower, range.upper) {
        if lo > hi {
            return err(format!(
                "'numeric' in '{path}': the lower bound is above the upper bound"
            ));
        }
    }
    Ok(range)
}

fn parse_cidr(s: &str) -> Option<Cidr> {
    let (addr, bits) = s.split_once('/')?;
    let net: IpAddr = addr.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if net.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some(Cidr { net, bits })
}

fn check_wildcard(s: &str, path: &str) -> Result<(), PatternError> {
    let mut prev_star = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                match chars.next() {
                    Some('*') | Some('\\') => {}
                    _ => return err(format!("the wildcard '{s}' in '{path}' has an invalid escape (only \\* and \\\\ are allowed)")),
                }
                prev_star = false;
            }
            '*' => {
                if prev_star {
                    return err(format!(
                        "the wildcard '{s}' in '{path}' has consecutive '*' characters"
                    ));
                }
                prev_star = true;
            }
            _ => prev_star = false,
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Matching

fn match_node(node: &Node, value: Option<&Value>) -> bool {
    match value {
        // An event array of objects: the node matches if any element does.
        Some(Value::Array(items)) if items.iter().any(Value::is_object) => items
            .iter()
            .filter(|i| i.is_object())
            .any(|i| match_node(node, Some(i))),
        Some(Value::Object(map)) => {
            node.fields.iter().all(|(k, f)| match_field(f, map.get(k)))
                && node
                    .ors
                    .iter()
                    .all(|branches| branches.iter().any(|b| match_node(b, value)))
        }
        // Missing (or a scalar where the pattern expects an object): only patterns made of
        // `exists: false` (and anything-but-free) leaves can still match.
        _ => {
            node.fields.iter().all(|(_, f)| match_field(f, None))
                && node
                    .ors
                    .iter()
                    .all(|branches| branches.iter().any(|b| match_node(b, None)))
        }
    }
}

fn match_field(field: &Field, value: Option<&Value>) -> bool {
    match field {
        Field::Nested(node) => match_node(node, value),
        Field::Leaf(matchers) => matchers.iter().any(|m| match_leaf(m, value)),
    }
}

/// The leaf values an event field holds: itself, or each element of an array. Objects are
/// not leaves.
fn leaves(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    let slice: &[Value] = match value {
        Some(Value::Array(items)) => items.as_slice(),
        Some(v) => std::slice::from_ref(v),
        None => &[],
    };
    slice.iter().filter(|v| !v.is_object() && !v.is_array())
}

fn match_leaf(m: &Matcher, value: Option<&Value>) -> bool {
    match m {
        Matcher::Exists(want) => leaves(value).next().is_some() == *want,
        _ => leaves(value).any(|v| match_scalar(m, v)),
    }
}

fn literal_eq(lit: &Literal, v: &Value) -> bool {
    match (lit, v) {
        (Literal::Str(a), Value::String(b)) => a == b,
        (Literal::Num(a), Value::Number(b)) => b.as_f64() == Some(*a),
        (Literal::Bool(a), Value::Bool(b)) => a == b,
        (Literal::Null, Value::Null) => true,
        _ => false,
    }
}

fn match_scalar(m: &Matcher, v: &Value) -> bool {
    match m {
        Matcher::Exact(lit) => literal_eq(lit, v),
        Matcher::Prefix { value, ignore_case } => v.as_str().is_some_and(|s| {
            if *ignore_case {
                starts_with_ci(s, value)
            } else {
                s.starts_with(value.as_str())
            }
        }),
        Matcher::Suffix { value, ignore_case } => v.as_str().is_some_and(|s| {
            if *ignore_case {
                ends_with_ci(s, value)
            } else {
                s.ends_with(value.as_str())
            }
        }),
        Matcher::EqualsIgnoreCase(want) => v.as_str().is_some_and(|s| eq_ci(s, want)),
        Matcher::Wildcard(w) => v.as_str().is_some_and(|s| wildcard_match(w, s)),
        Matcher::Numeric(r) => v
            .as_f64()
            .filter(|_| v.is_number())
            .is_some_and(|n| in_range(r, n)),
        Matcher::Cidr(c) => v
            .as_str()
            .and_then(|s| s.parse().ok())
            .is_some_and(|ip| in_cidr(c, ip)),
        Matcher::AnythingBut(ab) => match ab {
            AnythingBut::Values(list) => !list.iter().any(|l| literal_eq(l, v)),
            AnythingBut::Prefix(p) => v.as_str().is_some_and(|s| !s.starts_with(p.as_str())),
            AnythingBut::Suffix(p) => v.as_str().is_some_and(|s| !s.ends_with(p.as_str())),
            AnythingBut::IgnoreCase(list) => v
                .as_str()
                .is_some_and(|s| !list.iter().any(|w| eq_ci(s, w))),
            AnythingBut::Wildcard(list) => v
                .as_str()
                .is_some_and(|s| !list.iter().any(|w| wildcard_match(w, s))),
        },
        Matcher::Exists(_) => unreachable!("handled in match_leaf"),
    }
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (!a.is_ascii() || !b.is_ascii()) && a.to_lowercase() == b.to_lowercase()
}

fn starts_with_ci(s: &str, p: &str) -> bool {
    if s.is_ascii() && p.is_ascii() {
        return s.len() >= p.len() && s.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    }
    s.to_lowercase().starts_with(&p.to_lowercase())
}

fn ends_with_ci(s: &str, p: &str) -> bool {
    if s.is_ascii() && p.is_ascii() {
        return s.len() >= p.len()
            && s.as_bytes()[s.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes());
    }
    s.to_lowercase().ends_with(&p.to_lowercase())
}

fn in_range(r: &Range, n: f64) -> bool {
    let lower_ok = match r.lower {
        Some((b, true)) => n >= b,
        Some((b, false)) => n > b,
        None => true,
    };
    let upper_ok = match r.upper {
        Some((b, true)) => n <= b,
        Some((b, false)) => n < b,
        None => true,
    };
    lower_ok && upper_ok
}

fn in_cidr(c: &Cidr, ip: IpAddr) -> bool {
    match (c.net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let mask = if c.bits == 0 {
                0
            } else {
                u32::MAX << (32 - c.bits)
            };
            (u32::from(net) & mask) == (u32::from(ip) & mask)
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let mask = if c.bits == 0 {
                0
            } else {
                u128::MAX << (128 - c.bits)
            };
            (u128::from(net) & mask) == (u128::from(ip) & mask)
        }
        _ => false,
    }
}

/// A wildcard token: a literal character or `*` (any run of characters).
#[derive(PartialEq)]
enum Tok {
    Star,
    Char(char),
}

fn wildcard_tokens(w: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(Tok::Char(chars.next().unwrap_or('\\'))),
            '*' => out.push(Tok::Star),
            c => out.push(Tok::Char(c)),
        }
    }
    out
}

/// Glob matching with `*` only, linear-time with single backtracking point.
fn wildcard_match(w: &str, s: &str) -> bool {
    let p = wildcard_tokens(w);
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                Tok::Star => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                Tok::Char(c) if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
