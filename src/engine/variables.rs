//! Variable references (`#{Namespace.Variable}`) in action configuration: a pure resolver.
//!
//! Scopes: `codepipeline` (`PipelineExecutionId`), `variables` (V2 pipeline-level variables),
//! and the namespaces of earlier actions (their output variables). A reference that cannot be
//! resolved fails the action with a `ConfigurationError` that names it.

use std::collections::{BTreeMap, HashMap};

use super::small_map::SmallMap;

/// Everything a reference may name, by namespace.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub namespaces: HashMap<String, BTreeMap<String, String>>,
}

impl Scope {
    pub fn set_namespace(&mut self, namespace: &str, vars: BTreeMap<String, String>) {
        self.namespaces.insert(namespace.to_string(), vars);
    }

    fn lookup(&self, namespace: &str, name: &str) -> Option<&str> {
        self.namespaces
            .get(namespace)?
            .get(name)
            .map(String::as_str)
    }
}

/// Every `(namespace, variable)` referenced by a value, in order.
pub fn references(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        if let Some((ns, var)) = after[..end].split_once('.') {
            out.push((ns.to_string(), var.to_string()));
        }
        rest = &after[end + 1..];
    }
    out
}

/// Resolves one value; the error names the first reference that does not resolve.
pub fn resolve_value(value: &str, scope: &Scope) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("#{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &after[..end];
        match inner.split_once('.') {
            Some((ns, var)) => match scope.lookup(ns, var) {
                Some(v) => out.push_str(v),
                None => {
                    return Err(format!(
                        "The variable reference #{{{inner}}} could not be resolved"
                    ))
                }
            },
            None => {
                return Err(format!(
                "The variable reference #{{{inner}}} is not of the form #{{Namespace.Variable}}"
            ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Resolves a whole configuration map.
pub fn resolve(config: &SmallMap<String>, scope: &Scope) -> Result<SmallMap<String>, String> {
    config
        .iter()
        .map(|(k, v)| resolve_value(v, scope).map(|r| (k.clone(), r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.set_namespace(
            "codepipeline",
            [("PipelineExecutionId".to_string(), "e-1".to_string())].into(),
        );
        s.set_namespace(
            "SourceVariables",
            [("CommitId".to_string(), "abc".to_string())].into(),
        );
        s
    }

    #[test]
    fn resolves_references() {
        let s = scope();
        assert_eq!(
            resolve_value(
                "v-#{SourceVariables.CommitId}-#{codepipeline.PipelineExecutionId}",
                &s
            )
            .unwrap(),
            "v-abc-e-1"
        );
        assert_eq!(resolve_value("plain", &s).unwrap(), "plain");
        assert_eq!(
            resolve_value("open #{ never closed", &s).unwrap(),
            "open #{ never closed"
        );
    }

    #[test]
    fn unresolvable_reference_names_itself() {
        let e = resolve_value("#{Build.Missing}", &scope()).unwrap_err();
        assert!(e.contains("#{Build.Missing}"), "{e}");
        assert!(resolve_value("#{nodot}", &scope()).is_err());
    }

    #[test]
    fn lists_references() {
        assert_eq!(
            references("#{a.b} and #{c.d}"),
            vec![("a".into(), "b".into()), ("c".into(), "d".into())]
        );
    }
}
