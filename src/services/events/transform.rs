//! What a target receives: the whole event, a constant `Input`, the part of the event an
//! `InputPath` selects, or an `InputTransformer` (values picked by `InputPathsMap` and put into
//! `InputTemplate`'s `<name>` placeholders).
//!
//! Paths are the JSONPath subset EventBridge documents: `$`, `$.a.b`, `$.a[0]`, `$['a b']`.
//! A path that selects nothing fails the delivery (it is recorded, not guessed).

use serde_json::Value;

use super::model::Target;

/// Values a template may use without declaring them.
pub struct Context<'a> {
    pub rule_arn: &'a str,
    pub rule_name: &'a str,
    pub ingestion_time: &'a str,
}

/// Checks a path's syntax (PutTargets).
pub fn check_path(path: &str) -> Result<(), String> {
    parse_path(path).map(|_| ())
}

#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let rest = path
        .strip_prefix('$')
        .ok_or_else(|| format!("the path '{path}' must start with '$'"))?;
    let bytes: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            '.' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != '.' && bytes[j] != '[' {
                    j += 1;
                }
                if j == start {
                    return Err(format!("the path '{path}' has an empty segment"));
                }
                steps.push(Step::Key(bytes[start..j].iter().collect()));
                i = j;
            }
            '[' => {
                let close = bytes[i..]
                    .iter()
                    .position(|c| *c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| format!("the path '{path}' has an unclosed '['"))?;
                let inner: String = bytes[i + 1..close].iter().collect();
                let inner = inner.trim();
                if let Some(q) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    steps.push(Step::Key(q.to_string()));
                } else {
                    let n: usize = inner
                        .parse()
                        .map_err(|_| format!("the path '{path}' has an invalid index '{inner}'"))?;
                    steps.push(Step::Index(n));
                }
                i = close + 1;
            }
            c => return Err(format!("the path '{path}' has an unexpected '{c}'")),
        }
    }
    Ok(steps)
}

/// The value a path selects, if any.
pub fn select<'a>(event: &'a Value, path: &str) -> Result<Option<&'a Value>, String> {
    let mut cur = event;
    for step in parse_path(path)? {
        let next = match (&step, cur) {
            (Step::Key(k), Value::Object(m)) => m.get(k),
            (Step::Index(n), Value::Array(a)) => a.get(*n),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// The payload the target receives (JSON text), or why there is none.
pub fn payload(target: &Target, event: &Value, ctx: &Context) -> Result<String, String> {
    if let Some(input) = &target.input {
        return Ok(input.clone());
    }
    if let Some(path) = &target.input_path {
        return match select(event, path)? {
            Some(v) => Ok(v.to_string()),
            None => Err(format!("InputPath '{path}' selects nothing in the event")),
        };
    }
    if let Some(t) = &target.input_transformer {
        let mut vars: Vec<(String, Value)> = vec![
            (
                "aws.events.rule-arn".into(),
                Value::String(ctx.rule_arn.into()),
            ),
            (
                "aws.events.rule-name".into(),
                Value::String(ctx.rule_name.into()),
            ),
            (
                "aws.events.event.ingestion-time".into(),
                Value::String(ctx.ingestion_time.into()),
            ),
            ("aws.events.event".into(), event.clone()),
            ("aws.events.event.json".into(), event.clone()),
        ];
        for (name, path) in t.input_paths_map.iter().flatten() {
            match select(event, path)? {
                Some(v) => vars.push((name.clone(), v.clone())),
                None => {
                    return Err(format!(
                        "InputPathsMap entry '{name}' ({path}) selects nothing in the event"
                    ))
                }
            }
        }
        return Ok(render(&t.input_template, &vars));
    }
    Ok(event.to_string())
}

/// Replaces `<name>` placeholders. Inside a JSON string a value is inserted as text (strings
/// raw, others as their JSON), escaped for the string; outside, as JSON. Unknown names are
/// left as they are.
pub fn render(template: &str, vars: &[(String, Value)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                if let Some((_, v)) = vars.iter().find(|(n, _)| n == name) {
                    if in_string {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let quoted = Value::String(text).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    } else {
                        out.push_str(&v.to_string());
                    }
                    rest = &rest[end + 1..];
                    escaped = false;
                    continue;
                }
            }
        }
        if escaped {
            escaped = false;
        } else if c == '\\' && in_string {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target() -> Target {
        serde_json::from_value(json!({"Id": "t", "Arn": "arn:x"})).unwrap()
    }

    fn ctx() -> Context<'static> {
        Context {
            rule_arn: "arn:aws:events:us-east-1:1:rule/r",
            rule_name: "r",
            ingestion_time: "2026-01-01T00:00:00Z",
        }
    }

    fn event() -> Value {
        json!({"source": "aws.codepipeline", "resources": ["arn:p"],
               "detail": {"pipeline": "shop", "state": "FAILED", "version": 3, "odd key": "x\"y"}})
    }

    #[test]
    fn paths() {
        let e = event();
        assert_eq!(select(&e, "$").unwrap(), Some(&e));
        assert_eq!(
            select(&e, "$.detail.pipeline").unwrap(),
            Some(&json!("shop"))
        );
        assert_eq!(select(&e, "$.resources[0]").unwrap(), Some(&json!("arn:p")));
        assert_eq!(
            select(&e, "$.detail['odd key']").unwrap(),
            Some(&json!("x\"y"))
        );
        assert_eq!(select(&e, "$.detail.nope").unwrap(), None);
        assert!(check_path("detail").is_err());
        assert!(check_path("$.a[x]").is_err());
        assert!(check_path("$..a").is_err());
    }

    #[test]
    fn whole_event_constant_and_path() {
        let e = event();
        assert_eq!(payload(&target(), &e, &ctx()).unwrap(), e.to_string());
        let mut t = target();
        t.input = Some(r#"{"k":1}"#.into());
        assert_eq!(payload(&t, &e, &ctx()).unwrap(), r#"{"k":1}"#);
        let mut t = target();
        t.input_path = Some("$.detail.state".into());
        assert_eq!(payload(&t, &e, &ctx()).unwrap(), "\"FAILED\"");
        t.input_path = Some("$.detail.missing".into());
        assert!(payload(&t, &e, &ctx())
            .unwrap_err()
            .contains("selects nothing"));
    }

    #[test]
    fn transformer() {
        let e = event();
        let mut t = target();
        t.input_transformer = Some(
            serde_json::from_value(json!({
                "InputPathsMap": {"p": "$.detail.pipeline", "v": "$.detail.version", "o": "$.detail['odd key']"},
                "InputTemplate": "{\"text\": \"<p> failed (v<v>) <o>\", \"pipeline\": <p>, \"version\": <v>, \"rule\": \"<aws.events.rule-name>\", \"keep\": \"<unknown>\"}"
            }))
            .unwrap(),
        );
        let out: Value = serde_json::from_str(&payload(&t, &e, &ctx()).unwrap()).unwrap();
        assert_eq!(
            out,
            json!({"text": "shop failed (v3) x\"y", "pipeline": "shop", "version": 3, "rule": "r", "keep": "<unknown>"})
        );
        // A plain-text template.
        t.input_transformer.as_mut().unwrap().input_template = "\"<p> is <v>\"".into();
        assert_eq!(payload(&t, &e, &ctx()).unwrap(), "\"shop is 3\"");
        // A missing path fails the delivery.
        t.input_transformer
            .as_mut()
            .unwrap()
            .input_paths_map
            .as_mut()
            .unwrap()
            .insert("m".into(), "$.detail.missing".into());
        assert!(payload(&t, &e, &ctx()).unwrap_err().contains("'m'"));
    }
}
