//! Request validation for CodeBuild. Model constraints (lengths, patterns, ranges, enums) are
//! collected with the protocol's `Violations` and answered in AWS's "N validation errors
//! detected" words; CodeBuild sends those as `InvalidInputException` (its only input error), so
//! that is what simfra sends too. Rules between members (CODEPIPELINE pairs, reserved
//! variable names) are `InvalidInputException` with CodeBuild's own messages.

use super::errors::{CodeBuildError as E, Result};
use super::model::{EnvironmentVariable, ProjectArtifacts, ProjectEnvironment, ProjectSource};
use crate::protocol::validate::{member, Violations};

pub const SOURCE_TYPES: &[&str] = &[
    "CODECOMMIT",
    "CODEPIPELINE",
    "GITHUB",
    "GITLAB",
    "GITLAB_SELF_MANAGED",
    "S3",
    "BITBUCKET",
    "GITHUB_ENTERPRISE",
    "NO_SOURCE",
];
pub const ARTIFACT_TYPES: &[&str] = &["CODEPIPELINE", "S3", "NO_ARTIFACTS"];
pub const ENVIRONMENT_TYPES: &[&str] = &[
    "WINDOWS_CONTAINER",
    "LINUX_CONTAINER",
    "LINUX_GPU_CONTAINER",
    "ARM_CONTAINER",
    "WINDOWS_SERVER_2019_CONTAINER",
    "WINDOWS_SERVER_2022_CONTAINER",
    "LINUX_LAMBDA_CONTAINER",
    "ARM_LAMBDA_CONTAINER",
    "LINUX_EC2",
    "ARM_EC2",
    "WINDOWS_EC2",
    "MAC_ARM",
];
pub const COMPUTE_TYPES: &[&str] = &[
    "BUILD_GENERAL1_SMALL",
    "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE",
    "BUILD_GENERAL1_2XLARGE",
    "BUILD_LAMBDA_1GB",
    "BUILD_LAMBDA_2GB",
    "BUILD_LAMBDA_4GB",
    "BUILD_LAMBDA_8GB",
    "BUILD_LAMBDA_10GB",
    "ATTRIBUTE_BASED_COMPUTE",
    "CUSTOM_INSTANCE_TYPE",
];
const VARIABLE_TYPES: &[&str] = &["PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"];
const CACHE_TYPES: &[&str] = &["NO_CACHE", "S3", "LOCAL"];
const PACKAGING: &[&str] = &["NONE", "ZIP"];
const NAMESPACES: &[&str] = &["NONE", "BUILD_ID"];

/// `[A-Za-z0-9][A-Za-z0-9\-_]{1,149}`
pub fn is_project_name(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let n = s.chars().count();
    first_ok
        && (2..=150).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn one_of(v: &mut Violations, path: &str, value: &str, set: &[&str]) {
    if !set.contains(&value) {
        v.push(
            value,
            path,
            &format!("Member must satisfy enum value set: [{}]", set.join(", ")),
        );
    }
}

/// Turns collected violations into CodeBuild's error.
pub fn finish(v: Violations) -> Result<()> {
    v.finish().map_err(|e| E::invalid(e.message))
}

pub fn project_name(v: &mut Violations, path: &str, name: &str) {
    if !is_project_name(name) {
        v.push(
            name,
            path,
            "Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9\\-_]{1,149}",
        );
    }
}

pub fn source(v: &mut Violations, path: &str, s: &ProjectSource) {
    one_of(v, &format!("{path}.type"), &s.r#type, SOURCE_TYPES);
    if let Some(d) = s.git_clone_depth {
        v.range(&format!("{path}.gitCloneDepth"), d, 0, i64::MAX);
    }
}

pub fn artifacts(v: &mut Violations, path: &str, a: &ProjectArtifacts) {
    one_of(v, &format!("{path}.type"), &a.r#type, ARTIFACT_TYPES);
    if let Some(p) = &a.packaging {
        one_of(v, &format!("{path}.packaging"), p, PACKAGING);
    }
    if let Some(n) = &a.namespace_type {
        one_of(v, &format!("{path}.namespaceType"), n, NAMESPACES);
    }
}

pub fn environment(v: &mut Violations, path: &str, e: &ProjectEnvironment) {
    one_of(v, &format!("{path}.type"), &e.r#type, ENVIRONMENT_TYPES);
    one_of(
        v,
        &format!("{path}.computeType"),
        &e.compute_type,
        COMPUTE_TYPES,
    );
    v.length(&format!("{path}.image"), &e.image, 1, usize::MAX);
    variables(
        v,
        &format!("{path}.environmentVariables"),
        &e.environment_variables,
    );
}

pub fn variables(v: &mut Violations, path: &str, vars: &[EnvironmentVariable]) {
    for (i, var) in vars.iter().enumerate() {
        let p = member(path, i);
        v.length(&format!("{p}.name"), &var.name, 1, usize::MAX);
        if let Some(t) = &var.r#type {
            one_of(v, &format!("{p}.type"), t, VARIABLE_TYPES);
        }
    }
}

pub fn cache_type(v: &mut Violations, path: &str, t: &str) {
    one_of(v, path, t, CACHE_TYPES);
}

pub fn timeouts(v: &mut Violations, build: Option<i64>, queued: Option<i64>, suffix: &str) {
    if let Some(t) = build {
        v.range(&format!("timeoutInMinutes{suffix}"), t, 5, 2160);
    }
    if let Some(t) = queued {
        v.range(&format!("queuedTimeoutInMinutes{suffix}"), t, 5, 480);
    }
}

/// The rules between members of a project (checked after the shapes are valid).
pub fn project_rules(
    source: &ProjectSource,
    artifacts: &ProjectArtifacts,
    environment: &ProjectEnvironment,
) -> Result<()> {
    let cp_source = source.r#type == "CODEPIPELINE";
    let cp_artifacts = artifacts.r#type == "CODEPIPELINE";
    if cp_source != cp_artifacts {
        return Err(E::invalid(
            "Both source and artifacts must be set to CodePipeline, or neither of them",
        ));
    }
    if !matches!(source.r#type.as_str(), "CODEPIPELINE" | "NO_SOURCE")
        && source.location.as_deref().unwrap_or_default().is_empty()
    {
        return Err(E::invalid(format!(
            "Project source location is required for source type {}",
            source.r#type
        )));
    }
    if source.r#type == "NO_SOURCE" && source.buildspec.as_deref().unwrap_or_default().is_empty() {
        return Err(E::invalid(
            "Project buildspec is required for source type NO_SOURCE",
        ));
    }
    if artifacts.r#type == "S3" && artifacts.location.as_deref().unwrap_or_default().is_empty() {
        return Err(E::invalid(
            "Project artifacts location is required for type S3",
        ));
    }
    reserved_names(&environment.environment_variables)
}

/// Names starting with `CODEBUILD_` are CodeBuild's own.
pub fn reserved_names(vars: &[EnvironmentVariable]) -> Result<()> {
    if let Some(v) = vars.iter().find(|v| v.name.starts_with("CODEBUILD_")) {
        return Err(E::invalid(format!(
            "Invalid environment variable name: {}. Environment variable names cannot start \
             with CODEBUILD_",
            v.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        assert!(is_project_name("shop-build_1"));
        assert!(is_project_name("ab"));
        assert!(!is_project_name("a"));
        assert!(!is_project_name("-ab"));
        assert!(!is_project_name("a b"));
        assert!(!is_project_name(&"a".repeat(151)));
    }

    #[test]
    fn codepipeline_must_pair() {
        let s = ProjectSource {
            r#type: "CODEPIPELINE".into(),
            ..Default::default()
        };
        let a = ProjectArtifacts {
            r#type: "NO_ARTIFACTS".into(),
            ..Default::default()
        };
        let e = ProjectEnvironment::default();
        assert!(project_rules(&s, &a, &e).is_err());
        let a = ProjectArtifacts {
            r#type: "CODEPIPELINE".into(),
            ..Default::default()
        };
        assert!(project_rules(&s, &a, &e).is_ok());
    }

    #[test]
    fn reserved_variable_names() {
        let vars = vec![EnvironmentVariable {
            name: "CODEBUILD_X".into(),
            value: "1".into(),
            r#type: None,
        }];
        assert!(reserved_names(&vars).is_err());
    }

    #[test]
    fn ranges_and_enums_collect() {
        let mut v = Violations::new();
        timeouts(&mut v, Some(1), Some(481), "");
        one_of(&mut v, "source.type", "FTP", SOURCE_TYPES);
        let e = finish(v).unwrap_err();
        assert!(
            e.to_string().contains("3 validation errors detected"),
            "{e}"
        );
    }
}
