//! The buildspec (version 0.1 and 0.2) parser: YAML text -> a typed [`BuildSpec`], or a
//! [`BuildSpecError`] whose message reads like CodeBuild's `YAML_FILE_ERROR` phase contexts.
//!
//! The YAML is read with `yaml-rust2`'s event parser into a small tree that keeps each node's
//! line (`buildspec_yaml.rs`), and the tree is mapped by hand here, so an error can say which
//! key is wrong and where.
//! Scalars keep the text as written: `python: 3.10` stays `3.10`, `FLAG: yes` stays `yes`, and
//! YAML 1.1 booleans (`yes/no/on/off/y/n/true/false`) are accepted where AWS takes a boolean.
//! Anchors, aliases and `<<` merge keys work.
//!
//! Not here: running anything, reading the buildspec file, resolving `parameter-store` /
//! `secrets-manager` values, report groups (only their names are kept) and batch builds.

use std::fmt;

#[path = "buildspec_yaml.rs"]
mod yaml;

use yaml::{boolean, load, scalar, string_list, Kind, Node};

/// The phase-context `statusCode` CodeBuild reports for any buildspec problem.
pub const STATUS_CODE: &str = "YAML_FILE_ERROR";

/// The four buildspec phases, in the order they run.
pub const PHASE_NAMES: [&str; 4] = ["install", "pre_build", "build", "post_build"];

/// A parsed buildspec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildSpec {
    /// `"0.1"` or `"0.2"`, normalised (`0.20` and `"0.2"` both give `"0.2"`).
    pub version: String,
    /// Top-level `run-as` (Linux user for every phase).
    pub run_as: Option<String>,
    pub env: Env,
    pub phases: Phases,
    pub artifacts: Option<ArtifactsSpec>,
    /// `cache.paths` (the other cache keys are noted and ignored).
    pub cache_paths: Vec<String>,
    /// Report group names or ARNs, in order; reports are not built.
    pub reports: Vec<String>,
    /// What AWS logs as "Found possible syntax errors in buildspec": unknown keys, unknown
    /// phases, duplicate keys, empty commands. Each names the section, key and line.
    pub warnings: Vec<String>,
    /// Valid AWS features simfra ignores (`batch`, `proxy`, cache keys) and version 0.1.
    pub notes: Vec<String>,
}

impl BuildSpec {
    /// Buildspec 0.1 runs each command in its own shell; 0.2 runs a phase in one session.
    pub fn separate_shells(&self) -> bool {
        self.version == "0.1"
    }

    /// A phase by its buildspec name (`install`, `pre_build`, `build`, `post_build`).
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        let p = &self.phases;
        match name {
            "install" => p.install.as_ref(),
            "pre_build" => p.pre_build.as_ref(),
            "build" => p.build.as_ref(),
            "post_build" => p.post_build.as_ref(),
            _ => None,
        }
    }
}

/// The `env` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `bash`, `/bin/sh`, ... as written; `None` = the image's default (`/bin/sh`).
    pub shell: Option<String>,
    /// Plaintext variables in document order; numbers and booleans as written.
    pub variables: Vec<(String, String)>,
    /// Variable name -> SSM parameter name.
    pub parameter_store: Vec<(String, String)>,
    /// Variable name -> `secret-id:json-key:version-stage:version-id`.
    pub secrets_manager: Vec<(String, String)>,
    pub exported_variables: Vec<String>,
    pub git_credential_helper: bool,
}

/// The four phases; an absent phase is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phases {
    pub install: Option<Phase>,
    pub pre_build: Option<Phase>,
    pub build: Option<Phase>,
    pub post_build: Option<Phase>,
}

impl Phases {
    /// The phases in run order, with their buildspec names.
    pub fn in_order(&self) -> [(&'static str, Option<&Phase>); 4] {
        [
            ("install", self.install.as_ref()),
            ("pre_build", self.pre_build.as_ref()),
            ("build", self.build.as_ref()),
            ("post_build", self.post_build.as_ref()),
        ]
    }
}

/// What a failing command does to the rest of the build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnFailure {
    /// The build goes to FINALIZING (the default).
    #[default]
    Abort,
    /// The next phase runs as if this one had passed.
    Continue,
}

/// One phase (`install`, `pre_build`, `build` or `post_build`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phase {
    pub run_as: Option<String>,
    pub on_failure: OnFailure,
    pub commands: Vec<String>,
    /// Run after `commands`, even when one of them failed.
    pub finally: Vec<String>,
    /// `runtime-versions` (install phase), e.g. `("python", "3.12")`.
    pub runtime_versions: Vec<(String, String)>,
}

/// The `artifacts` section, or one of its `secondary-artifacts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactsSpec {
    /// Globs relative to `base_directory`; never empty after a successful parse.
    pub files: Vec<String>,
    pub name: Option<String>,
    pub base_directory: Option<String>,
    pub discard_paths: bool,
    pub exclude_paths: Vec<String>,
    pub enable_symlinks: bool,
    pub s3_prefix: Option<String>,
    /// `secondary-artifacts` by artifact identifier, in document order (always empty in a
    /// secondary artifact itself).
    pub secondary: Vec<(String, ArtifactsSpec)>,
}

impl ArtifactsSpec {
    /// The secondary artifact with this identifier.
    pub fn secondary(&self, identifier: &str) -> Option<&ArtifactsSpec> {
        self.secondary
            .iter()
            .find(|(id, _)| id == identifier)
            .map(|(_, spec)| spec)
    }
}

/// Why a buildspec was rejected. `message` is what CodeBuild puts in the phase context (its
/// status code is [`STATUS_CODE`]); `Display` prefixes it with `YAML_FILE_ERROR: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSpecError {
    pub message: String,
}

impl fmt::Display for BuildSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{STATUS_CODE}: {}", self.message)
    }
}

impl std::error::Error for BuildSpecError {}

fn err<T>(message: impl Into<String>) -> Result<T, BuildSpecError> {
    Err(BuildSpecError {
        message: message.into(),
    })
}

/// Whether a project's `source.buildspec` is inline YAML rather than a file path.
///
/// Inline when, after trimming, it spans several lines, starts a flow mapping (`{`), or
/// contains a mapping indicator (`: ` or a trailing `:`), as a one-line `version: 0.2` does.
/// Anything else (`buildspec-test.yml`, `ci/build.yaml`, an `arn:aws:s3:::bucket/key`) is a
/// path; an empty value is not inline (the default `buildspec.yml` applies).
pub fn is_inline(buildspec: &str) -> bool {
    let text = buildspec.trim();
    text.contains('\n') || text.starts_with('{') || text.contains(": ") || text.ends_with(':')
}

/// Parsing state: where warnings go.
struct Cx {
    warnings: Vec<String>,
    notes: Vec<String>,
}

impl Cx {
    /// The entries of a mapping section (null = empty): key text, key line, value. A repeated
    /// key is warned about and only its last value is kept, at its first occurrence's place.
    fn entries<'a>(
        &mut self,
        node: &'a Node,
        section: &str,
    ) -> Result<Vec<(String, usize, &'a Node)>, BuildSpecError> {
        let pairs = match &node.kind {
            _ if node.is_null() => return Ok(vec![]),
            Kind::Map(pairs) => pairs,
            _ => return node.type_error(section, "map"),
        };
        let mut out: Vec<(String, usize, &'a Node)> = Vec::new();
        for (k, v) in pairs {
            let Some(key) = scalar(k, &format!("a key in {section}"))? else {
                return err(format!("empty key in {section} at line {}", k.line));
            };
            match out.iter_mut().find(|(existing, _, _)| *existing == key) {
                Some(slot) => {
                    self.warnings.push(format!(
                        "In the section {section}: the key {key:?} at line {} is repeated; the last value is used",
                        k.line
                    ));
                    slot.2 = v;
                }
                None => out.push((key, k.line, v)),
            }
        }
        Ok(out)
    }

    fn unknown(&mut self, section: &str, key: &str, line: usize) {
        self.warnings.push(format!(
            "In the section {section}: the key {key:?} at line {line} cannot be identified"
        ));
    }

    /// A mapping of names to scalar values (`variables`, `runtime-versions`, ...); values
    /// keep their text, null becomes "".
    fn pairs(
        &mut self,
        node: &Node,
        section: &str,
    ) -> Result<Vec<(String, String)>, BuildSpecError> {
        let mut out = Vec::new();
        for (key, _, value) in self.entries(node, section)? {
            let text = scalar(value, &format!("{section}.{key}"))?;
            out.push((key, text.unwrap_or_default()));
        }
        Ok(out)
    }

    /// `commands` / `finally`: strings; a mapping is the classic unquoted `: ` mistake.
    fn commands(
        &mut self,
        node: &Node,
        label: &str,
        section: &str,
    ) -> Result<Vec<String>, BuildSpecError> {
        let single = std::slice::from_ref(node);
        let items = match &node.kind {
            Kind::Seq(items) => items.as_slice(),
            _ if node.is_null() => &[],
            _ => single,
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match &item.kind {
                Kind::Map(_) => {
                    // AWS's own wording; its hint always names the line above.
                    return err(format!(
                        "Expected {label}[{i}] to be of string type: found subkeys instead at line {}, value of the key tag on line {} might be empty",
                        item.line,
                        item.line.saturating_sub(1)
                    ));
                }
                Kind::Seq(_) => return item.type_error(&format!("{label}[{i}]"), "string"),
                Kind::Scalar { .. } => match scalar(item, label)? {
                    Some(cmd) => out.push(cmd),
                    None => self.warnings.push(format!(
                        "In the section {section}: {label}[{i}] at line {} is empty and is skipped",
                        item.line
                    )),
                },
            }
        }
        Ok(out)
    }

    fn env(&mut self, node: &Node) -> Result<Env, BuildSpecError> {
        let mut env = Env::default();
        for (key, line, value) in self.entries(node, "env")? {
            match key.as_str() {
                "shell" => env.shell = scalar(value, "env.shell")?,
                "variables" => env.variables = self.pairs(value, "env.variables")?,
                "parameter-store" => {
                    env.parameter_store = self.pairs(value, "env.parameter-store")?
                }
                "secrets-manager" => {
                    env.secrets_manager = self.pairs(value, "env.secrets-manager")?
                }
                "exported-variables" => {
                    env.exported_variables = string_list(value, "env.exported-variables")?
                }
                "git-credential-helper" => {
                    env.git_credential_helper = boolean(value, "env.git-credential-helper")?
                }
                _ => self.unknown("env", &key, line),
            }
        }
        Ok(env)
    }

    fn phase(&mut self, node: &Node, name: &str) -> Result<Phase, BuildSpecError> {
        let section = format!("phases.{name}");
        let mut phase = Phase::default();
        for (key, line, value) in self.entries(node, &section)? {
            let what = format!("{section}.{key}");
            match key.as_str() {
                "run-as" => phase.run_as = scalar(value, &what)?,
                "on-failure" => {
                    phase.on_failure = match scalar(value, &what)?.as_deref() {
                        None | Some("ABORT") => OnFailure::Abort,
                        Some("CONTINUE") => OnFailure::Continue,
                        Some(other) => {
                            return err(format!(
                        "invalid value {other:?} for {what} at line {}: expected ABORT or CONTINUE",
                        value.line
                    ))
                        }
                    }
                }
                "commands" => phase.commands = self.commands(value, "Commands", &section)?,
                "finally" => phase.finally = self.commands(value, "Finally", &section)?,
                "runtime-versions" => phase.runtime_versions = self.pairs(value, &what)?,
                _ => self.unknown(&section, &key, line),
            }
        }
        Ok(phase)
    }

    fn phases(&mut self, node: &Node) -> Result<Phases, BuildSpecError> {
        let mut phases = Phases::default();
        for (key, line, value) in self.entries(node, "phases")? {
            let slot = match key.as_str() {
                "install" => &mut phases.install,
                "pre_build" => &mut phases.pre_build,
                "build" => &mut phases.build,
                "post_build" => &mut phases.post_build,
                _ => {
                    self.unknown("phases", &key, line);
                    continue;
                }
            };
            *slot = Some(self.phase(value, &key)?);
        }
        Ok(phases)
    }

    /// `artifacts` (`section` = "artifacts") or one secondary artifact.
    fn artifacts(
        &mut self,
        node: &Node,
        section: &str,
        primary: bool,
    ) -> Result<ArtifactsSpec, BuildSpecError> {
        let mut spec = ArtifactsSpec::default();
        for (key, line, value) in self.entries(node, section)? {
            let what = format!("{section}.{key}");
            match key.as_str() {
                "files" => spec.files = string_list(value, &what)?,
                "name" => spec.name = scalar(value, &what)?,
                "base-directory" => spec.base_directory = scalar(value, &what)?,
                "discard-paths" => spec.discard_paths = boolean(value, &what)?,
                "exclude-paths" => spec.exclude_paths = string_list(value, &what)?,
                "enable-symlinks" => spec.enable_symlinks = boolean(value, &what)?,
                "s3-prefix" => spec.s3_prefix = scalar(value, &what)?,
                "secondary-artifacts" if primary => {
                    for (id, _, artifact) in self.entries(value, &what)? {
                        let sub = format!("{what}.{id}");
                        spec.secondary
                            .push((id, self.artifacts(artifact, &sub, false)?));
                    }
                }
                _ => self.unknown(section, &key, line),
            }
        }
        if spec.files.is_empty() {
            return err(format!("missing {section}.files at line {}", node.line));
        }
        Ok(spec)
    }

    fn cache(&mut self, node: &Node) -> Result<Vec<String>, BuildSpecError> {
        let mut paths = Vec::new();
        for (key, line, value) in self.entries(node, "cache")? {
            match key.as_str() {
                "paths" => paths = string_list(value, "cache.paths")?,
                "key" | "fallback-keys" | "action" => self.notes.push(format!(
                    "cache.{key} (line {line}) is not supported and is ignored"
                )),
                _ => self.unknown("cache", &key, line),
            }
        }
        Ok(paths)
    }
}

/// Normalises the `version` value: 0.1 and 0.2, written as a number or a string.
fn version(node: &Node) -> Result<String, BuildSpecError> {
    let Some(text) = scalar(node, "version")? else {
        return err("missing version");
    };
    // Through f64 and back, so `0.20` and `"0.2"` both become `0.2`.
    let canonical = text.trim().parse::<f64>().map(|v| v.to_string());
    match canonical {
        Ok(v) if v == "0.1" || v == "0.2" => Ok(v),
        _ => err(format!(
            "invalid buildspec version {text:?} at line {}: expected 0.1 or 0.2",
            node.line
        )),
    }
}

/// Parses a buildspec.
pub fn parse(text: &str) -> Result<BuildSpec, BuildSpecError> {
    // Editors on Windows like to start files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = load(text)?.into_iter();
    let Some(root) = docs.next().flatten().filter(|n| !n.is_null()) else {
        return err("the buildspec is empty");
    };
    if !matches!(root.kind, Kind::Map(_)) {
        return root.type_error("the buildspec", "map");
    }
    let mut cx = Cx {
        warnings: vec![],
        notes: vec![],
    };
    if docs.next().is_some() {
        cx.warnings
            .push("only the first YAML document of the buildspec is used".to_string());
    }
    let entries = cx.entries(&root, "buildspec")?;
    // The version is checked first, as AWS does: nothing else matters if it is wrong.
    let mut spec = BuildSpec {
        version: match entries.iter().find(|(key, _, _)| key == "version") {
            Some((_, _, node)) => version(node)?,
            None => return err("missing version"),
        },
        ..BuildSpec::default()
    };
    for (key, line, value) in entries {
        match key.as_str() {
            "version" => {}
            "run-as" => spec.run_as = scalar(value, "run-as")?,
            "env" => spec.env = cx.env(value)?,
            "phases" => spec.phases = cx.phases(value)?,
            "artifacts" => spec.artifacts = Some(cx.artifacts(value, "artifacts", true)?),
            "cache" => spec.cache_paths = cx.cache(value)?,
            "reports" => {
                spec.reports = cx
                    .entries(value, "reports")?
                    .into_iter()
                    .map(|(k, _, _)| k)
                    .collect()
            }
            "batch" | "proxy" => cx.notes.push(format!(
                "the {key} section (line {line}) is not supported and is ignored"
            )),
            _ => cx.unknown("buildspec", &key, line),
        }
    }
    if spec.separate_shells() {
        cx.notes.push(
            "buildspec version 0.1: each command runs in its own shell, so directory changes and variables do not carry over"
                .to_string(),
        );
    }
    spec.warnings = cx.warnings;
    spec.notes = cx.notes;
    Ok(spec)
}

#[cfg(test)]
#[path = "buildspec_tests.rs"]
mod tests;
