//! The AppSpec file of the Server (EC2/on-premises) compute platform: YAML or JSON text -> a
//! typed [`AppSpec`], or an [`AppSpecError`] worded like the CodeDeploy agent's messages ("The
//! deployment failed because ..."), so a deployment's `errorInformation` and lifecycle event
//! diagnostics read as they would on AWS.
//!
//! The rules follow the AWS AppSpec reference and the agent: `version` must be the number `0.0`
//! (the agent compares the loaded YAML value with the float `0.0`, so a quoted `"0.0"` is refused
//! there too); `os` is `linux` or `windows`; `files` maps a bundle `source` to an absolute
//! `destination` directory; `permissions` need an `object`; `hooks` name lifecycle events that
//! accept scripts, each script with a `location`, an optional `runas` and a `timeout` of 1 to 3600
//! seconds (default 3600). Unknown top-level keys are ignored, as the agent ignores them.
//! Anchors, aliases and `<<` merge keys work; a repeated key keeps its last value.
//!
//! Not here: Lambda and ECS AppSpecs (`resources:` is refused as unsupported), running hooks,
//! the Install step (`install.rs`), and reading the file from the bundle.
//!
//! The YAML is read with `yaml-rust2`'s pull parser into a small line-aware tree. CodeBuild's
//! buildspec parser has a similar layer, private to it and worded for CodeBuild; this one is
//! smaller and speaks CodeDeploy.

use std::collections::HashMap;
use std::fmt;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The longest a hook script may run, and its default (`timeout`, seconds).
pub const MAX_TIMEOUT_SECONDS: u32 = 3600;

/// A parsed Server-platform AppSpec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// Always `"0.0"`.
    pub version: String,
    pub os: Os,
    /// `files`, in document order.
    pub files: Vec<FileMapping>,
    /// `permissions`, in document order.
    pub permissions: Vec<Permission>,
    /// `hooks` by lifecycle event, in document order (an event appears once).
    pub hooks: Vec<(LifecycleEvent, Vec<Hook>)>,
    /// `file_exists_behavior`: `DISALLOW`, `OVERWRITE` or `RETAIN` when given.
    pub file_exists_behavior: Option<String>,
}

impl AppSpec {
    /// The scripts of one lifecycle event (empty when the AppSpec names none).
    pub fn hooks_for(&self, event: LifecycleEvent) -> &[Hook] {
        self.hooks
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, hooks)| hooks.as_slice())
            .unwrap_or(&[])
    }
}

/// The `os` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Windows,
}

impl Os {
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Windows => "windows",
        }
    }
}

/// One `files` entry: `source` is relative to the bundle root (`/` or empty = the whole bundle),
/// `destination` an absolute directory on the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMapping {
    pub source: String,
    pub destination: String,
}

impl FileMapping {
    /// The path rules the Install step relies on: an absolute `destination`, and no `..` in
    /// either path (a revision must not write outside what it names).
    pub fn validate(&self) -> Result<(), AppSpecError> {
        if has_parent_component(&self.source) {
            return err(format!(
                "The deployment failed because the application specification file specifies a source ({}) that contains a '..' path component. Sources are paths inside the revision bundle. Update the files section of the AppSpec file, and then try again.",
                self.source
            ));
        }
        if !self.destination.starts_with('/') {
            return err(format!(
                "The deployment failed because the application specification file specifies a destination ({}) that is not an absolute path. Update the files section of the AppSpec file, and then try again.",
                self.destination
            ));
        }
        if has_parent_component(&self.destination) {
            return err(format!(
                "The deployment failed because the application specification file specifies a destination ({}) that contains a '..' path component. Update the files section of the AppSpec file, and then try again.",
                self.destination
            ));
        }
        Ok(())
    }
}

fn has_parent_component(path: &str) -> bool {
    path.split('/').any(|part| part == "..")
}

/// What a `permissions` entry applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionType {
    File,
    Directory,
}

impl PermissionType {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionType::File => "file",
            PermissionType::Directory => "directory",
        }
    }
}

/// One `permissions` entry (Linux only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub object: String,
    /// A simple glob (`*` only) matched against the names directly inside `object`; `None` is
    /// `**` (everything below `object`, at any depth), the default.
    pub pattern: Option<String>,
    /// Simple globs of names to leave alone.
    pub except: Vec<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// Octal digits, at least three (`44` is kept as `044`, as the agent pads it).
    pub mode: Option<String>,
    /// `acls` entries as written (`u:bob:rw`, `d:g:dev:r`).
    pub acls: Vec<String>,
    pub context: Option<SeLinuxContext>,
    /// Never empty: both types when the entry does not say.
    pub r#type: Vec<PermissionType>,
}

/// A `permissions[].context` (SELinux).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeLinuxContext {
    /// `name`: the SELinux user.
    pub name: Option<String>,
    pub r#type: String,
    /// `range` as written (`s0-s0:c0.c1023`).
    pub range: Option<String>,
}

/// One script of a lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Relative to the bundle root, as written (trimmed).
    pub location: String,
    /// 1..=3600; 3600 when not given.
    pub timeout_seconds: u32,
    pub runas: Option<String>,
}

/// The lifecycle events of a Server in-place deployment, in the order they run (the traffic
/// events only with a load balancer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifecycleEvent {
    BeforeBlockTraffic,
    BlockTraffic,
    AfterBlockTraffic,
    ApplicationStop,
    DownloadBundle,
    BeforeInstall,
    Install,
    AfterInstall,
    ApplicationStart,
    ValidateService,
    BeforeAllowTraffic,
    AllowTraffic,
    AfterAllowTraffic,
}

impl LifecycleEvent {
    /// Every Server in-place event, in run order.
    pub const ALL: [LifecycleEvent; 13] = [
        LifecycleEvent::BeforeBlockTraffic,
        LifecycleEvent::BlockTraffic,
        LifecycleEvent::AfterBlockTraffic,
        LifecycleEvent::ApplicationStop,
        LifecycleEvent::DownloadBundle,
        LifecycleEvent::BeforeInstall,
        LifecycleEvent::Install,
        LifecycleEvent::AfterInstall,
        LifecycleEvent::ApplicationStart,
        LifecycleEvent::ValidateService,
        LifecycleEvent::BeforeAllowTraffic,
        LifecycleEvent::AllowTraffic,
        LifecycleEvent::AfterAllowTraffic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleEvent::BeforeBlockTraffic => "BeforeBlockTraffic",
            LifecycleEvent::BlockTraffic => "BlockTraffic",
            LifecycleEvent::AfterBlockTraffic => "AfterBlockTraffic",
            LifecycleEvent::ApplicationStop => "ApplicationStop",
            LifecycleEvent::DownloadBundle => "DownloadBundle",
            LifecycleEvent::BeforeInstall => "BeforeInstall",
            LifecycleEvent::Install => "Install",
            LifecycleEvent::AfterInstall => "AfterInstall",
            LifecycleEvent::ApplicationStart => "ApplicationStart",
            LifecycleEvent::ValidateService => "ValidateService",
            LifecycleEvent::BeforeAllowTraffic => "BeforeAllowTraffic",
            LifecycleEvent::AllowTraffic => "AllowTraffic",
            LifecycleEvent::AfterAllowTraffic => "AfterAllowTraffic",
        }
    }

    /// The event with this exact (case-sensitive) name.
    pub fn from_name(name: &str) -> Option<LifecycleEvent> {
        LifecycleEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Events CodeDeploy runs itself; an AppSpec may not attach scripts to them.
    pub fn is_reserved(self) -> bool {
        matches!(
            self,
            LifecycleEvent::DownloadBundle
                | LifecycleEvent::Install
                | LifecycleEvent::BlockTraffic
                | LifecycleEvent::AllowTraffic
        )
    }
}

/// The events of an in-place deployment without a load balancer, in run order.
pub fn server_in_place_order() -> &'static [LifecycleEvent] {
    // ApplicationStop ..= ValidateService.
    &LifecycleEvent::ALL[3..10]
}

/// The events of an in-place deployment behind a load balancer, in run order.
pub fn server_in_place_order_with_traffic() -> &'static [LifecycleEvent] {
    &LifecycleEvent::ALL
}

/// Why an AppSpec was rejected; `message` is what the deployment reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpecError {
    pub message: String,
}

impl fmt::Display for AppSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppSpecError {}

fn err<T>(message: impl Into<String>) -> Result<T, AppSpecError> {
    Err(AppSpecError {
        message: message.into(),
    })
}

/// "The deployment failed because {what}. {fix}, and then try again." for problems the agent has
/// no wording of its own for.
fn fail<T>(what: String, section: &str) -> Result<T, AppSpecError> {
    err(format!(
        "The deployment failed because {what}. Update the {section} section of the AppSpec file, and then try again."
    ))
}

// ---- the YAML tree -------------------------------------------------------------------------

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 64;
/// Nodes a document may expand to, aliases included (a guard against alias bombs).
const MAX_NODES: usize = 200_000;

#[derive(Debug, Clone)]
struct Node {
    line: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `plain` = unquoted and untagged: `~`, `null` and empty mean null, numbers are numbers.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    line: usize,
    value: Node,
}

impl Node {
    fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Scalar { .. } => "a single value",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }

    fn size(&self) -> usize {
        1 + match &self.kind {
            Kind::Scalar { .. } => 0,
            Kind::Seq(items) => items.iter().map(Node::size).sum(),
            Kind::Map(entries) => entries.iter().map(|e| 1 + e.value.size()).sum(),
        }
    }

    /// The text of a scalar; `None` for null. A list or mapping is an error naming `what`.
    fn text(&self, what: &str, section: &str) -> Result<Option<String>, AppSpecError> {
        match &self.kind {
            _ if self.is_null() => Ok(None),
            Kind::Scalar { text, .. } => Ok(Some(text.clone())),
            _ => self.wrong_type(what, "a single value", section),
        }
    }

    /// The items of a list (null = none); a single value counts as a list of one when
    /// `lenient`.
    fn items(&self, what: &str, section: &str, lenient: bool) -> Result<&[Node], AppSpecError> {
        match &self.kind {
            _ if self.is_null() => Ok(&[]),
            Kind::Seq(items) => Ok(items),
            Kind::Scalar { .. } if lenient => Ok(std::slice::from_ref(self)),
            _ => self.wrong_type(what, "a list", section),
        }
    }

    /// The entries of a mapping (null = none).
    fn entries(&self, what: &str, section: &str) -> Result<&[Entry], AppSpecError> {
        match &self.kind {
            _ if self.is_null() => Ok(&[]),
            Kind::Map(entries) => Ok(entries),
            _ => self.wrong_type(what, "a mapping", section),
        }
    }

    fn wrong_type<T>(&self, what: &str, expected: &str, section: &str) -> Result<T, AppSpecError> {
        fail(
            format!(
                "{what} in the application specification file must be {expected}, but {} was found at line {}",
                self.describe(),
                self.line
            ),
            section,
        )
    }
}

fn find<'a>(entries: &'a [Entry], key: &str) -> Option<&'a Node> {
    entries.iter().find(|e| e.key == key).map(|e| &e.value)
}

/// Reads one document from the pull parser into a [`Node`] tree.
struct Reader<'a> {
    parser: Parser<std::str::Chars<'a>>,
    /// Anchor id -> (node, its size).
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<(Event, Marker), AppSpecError> {
        self.parser.next_token().map_err(|e| AppSpecError {
            message: syntax_message(e.info(), e.marker()),
        })
    }

    fn spend(&mut self, nodes: usize, line: usize) -> Result<(), AppSpecError> {
        self.nodes += nodes;
        if self.nodes > MAX_NODES {
            return err(format!(
                "The deployment failed because the application specification file expands to more than {MAX_NODES} YAML nodes (aliases at line {line} included). Simplify the AppSpec file, and then try again."
            ));
        }
        Ok(())
    }

    fn node(&mut self, ev: Event, mark: Marker, depth: usize) -> Result<Node, AppSpecError> {
        let line = mark.line();
        if depth > MAX_DEPTH {
            return err(format!(
                "The deployment failed because the application specification file nests more than {MAX_DEPTH} levels deep at line {line}. Simplify the AppSpec file, and then try again."
            ));
        }
        self.spend(1, line)?;
        let (node, anchor) = match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain && tag.is_none();
                let kind = Kind::Scalar { text, plain };
                (Node { line, kind }, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (ev, mark) = self.next()?;
                    if ev == Event::SequenceEnd {
                        break;
                    }
                    items.push(self.node(ev, mark, depth + 1)?);
                }
                let kind = Kind::Seq(items);
                (Node { line, kind }, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut pairs = Vec::new();
                loop {
                    let (ev, mark) = self.next()?;
                    if ev == Event::MappingEnd {
                        break;
                    }
                    let key = self.node(ev, mark, depth + 1)?;
                    let (ev, mark) = self.next()?;
                    let value = self.node(ev, mark, depth + 1)?;
                    pairs.push((key, value));
                }
                let kind = Kind::Map(mapping(pairs)?);
                (Node { line, kind }, anchor)
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return err(syntax_message("unknown anchor", &mark));
                };
                self.spend(size, line)?;
                return Ok(node);
            }
            other => return err(syntax_message(&format!("unexpected {other:?}"), &mark)),
        };
        if anchor > 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok(node)
    }
}

/// A mapping's entries from its key/value pairs: `<<` merges mappings in (explicit keys win),
/// and a repeated key keeps its last value at its first place, as Ruby's YAML loader does.
fn mapping(pairs: Vec<(Node, Node)>) -> Result<Vec<Entry>, AppSpecError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut merged: Vec<Entry> = Vec::new();
    for (key, value) in pairs {
        let text = match key.kind {
            Kind::Scalar { text, plain } if plain && text == "<<" => {
                match value.kind {
                    Kind::Map(m) => merged.extend(m),
                    Kind::Seq(items) => {
                        for item in items {
                            if let Kind::Map(m) = item.kind {
                                merged.extend(m);
                            }
                        }
                    }
                    Kind::Scalar { .. } => {}
                }
                continue;
            }
            Kind::Scalar { text, .. } => text,
            _ => {
                return err(format!(
                    "The deployment failed because the application specification file uses a list or mapping as a key at line {}. Correct the AppSpec file, and then try again.",
                    key.line
                ))
            }
        };
        match entries.iter_mut().find(|e| e.key == text) {
            Some(existing) => existing.value = value,
            None => entries.push(Entry {
                key: text,
                line: key.line,
                value,
            }),
        }
    }
    for entry in merged {
        if !entries.iter().any(|e| e.key == entry.key) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn syntax_message(info: &str, mark: &Marker) -> String {
    format!(
        "The deployment failed because the application specification file is not valid YAML or JSON: {info} at line {}, column {}. Correct the AppSpec file, and then try again.",
        mark.line(),
        mark.col() + 1
    )
}

/// The first document of `text` (`None` when there is none). Later documents are not read.
fn load(text: &str) -> Result<Option<Node>, AppSpecError> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
    };
    loop {
        let (ev, mark) = reader.next()?;
        match ev {
            Event::StreamStart | Event::DocumentStart => continue,
            Event::StreamEnd => return Ok(None),
            ev => {
                let root = reader.node(ev, mark, 0)?;
                // Reading on to the document's end reports junk after the root node.
                reader.next()?;
                return Ok(Some(root));
            }
        }
    }
}

// ---- the AppSpec ---------------------------------------------------------------------------

/// Parses a Server-platform AppSpec (`appspec.yml`, `appspec.yaml` or its JSON form).
pub fn parse(text: &str) -> Result<AppSpec, AppSpecError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = load(text)?;
    let entries = match &root {
        Some(node) if matches!(node.kind, Kind::Map(_)) => node.entries("", "")?,
        Some(node) if !node.is_null() => {
            return err(format!(
                "The deployment failed because the application specification file must be a mapping of sections (version, os, files, permissions, hooks), but {} was found at line {}. Correct the AppSpec file, and then try again.",
                node.describe(),
                node.line
            ))
        }
        // Empty: the checks below report the missing version, as the agent does.
        _ => &[],
    };
    // The agent's order: version, os, hooks, files, permissions.
    let version = version(find(entries, "version"))?;
    // Lambda and ECS AppSpecs spell it `Resources`; any spelling means the same mistake.
    if let Some(resources) = entries
        .iter()
        .find(|e| e.key.eq_ignore_ascii_case("resources"))
    {
        return err(format!(
            "The deployment failed because the application specification file has a {} section (line {}), which is the AppSpec format of AWS Lambda and Amazon ECS deployments. This emulator supports only the EC2/On-premises compute platform for now: use files and hooks with scripts.",
            resources.key, resources.line
        ));
    }
    let os = os(find(entries, "os"))?;
    let hooks = match find(entries, "hooks") {
        Some(node) => hooks(node)?,
        None => Vec::new(),
    };
    let files = match find(entries, "files") {
        Some(node) => files(node)?,
        None => Vec::new(),
    };
    let permissions = match find(entries, "permissions") {
        Some(node) => permissions(node, os)?,
        None => Vec::new(),
    };
    let file_exists_behavior = match find(entries, "file_exists_behavior") {
        Some(node) => file_exists_behavior(node)?,
        None => None,
    };
    Ok(AppSpec {
        version,
        os,
        files,
        permissions,
        hooks,
        file_exists_behavior,
    })
}

/// `version`: the number 0.0 (`0`, `0.0` and `0.00` all load as zero in the agent's YAML).
fn version(node: Option<&Node>) -> Result<String, AppSpecError> {
    let mut shown = String::new();
    let mut quoted_zero = false;
    if let Some(node) = node.filter(|n| !n.is_null()) {
        match &node.kind {
            Kind::Scalar { text, plain } => {
                let zero = text.trim().parse::<f64>().is_ok_and(|v| v == 0.0);
                if zero && *plain {
                    return Ok("0.0".to_string());
                }
                quoted_zero = zero;
                shown = text.clone();
            }
            _ => shown = node.describe().to_string(),
        }
    }
    let hint = if quoted_zero {
        " (The version is a number: write version: 0.0 without quotes.)"
    } else {
        ""
    };
    err(format!(
        "The deployment failed because an invalid version value ({shown}) was entered in the application specification file. Make sure your AppSpec file specifies \"0.0\" as the version, and then try again.{hint}"
    ))
}

/// `os`: exactly `linux` or `windows`.
fn os(node: Option<&Node>) -> Result<Os, AppSpecError> {
    let text = match node {
        Some(n) => n.text("os", "os")?.unwrap_or_default(),
        None => String::new(),
    };
    match text.as_str() {
        "linux" => Ok(Os::Linux),
        "windows" => Ok(Os::Windows),
        _ => err(format!(
            "The deployment failed because the application specification file specifies an unsupported operating system ({text}). Specify either \"linux\" or \"windows\" in the os section of the AppSpec file, and then try again."
        )),
    }
}

fn hooks(node: &Node) -> Result<Vec<(LifecycleEvent, Vec<Hook>)>, AppSpecError> {
    let mut out = Vec::new();
    for entry in node.entries("the hooks section", "hooks")? {
        let Some(event) = LifecycleEvent::from_name(&entry.key) else {
            let accepted: Vec<&str> = LifecycleEvent::ALL
                .iter()
                .filter(|e| !e.is_reserved())
                .map(|e| e.as_str())
                .collect();
            return fail(
                format!(
                    "the application specification file specifies an unknown lifecycle event ({}) at line {}. Scripts can run in {}",
                    entry.key,
                    entry.line,
                    accepted.join(", ")
                ),
                "hooks",
            );
        };
        if event.is_reserved() {
            return fail(
                format!(
                    "the application specification file specifies scripts for the {} lifecycle event at line {}, which CodeDeploy reserves for itself and which cannot run scripts",
                    entry.key, entry.line
                ),
                "hooks",
            );
        }
        let what = format!("the hooks.{} entry", entry.key);
        let mut scripts = Vec::new();
        for item in entry.value.items(&what, "hooks", false)? {
            scripts.push(hook(item, &what)?);
        }
        out.push((event, scripts));
    }
    Ok(out)
}

fn hook(node: &Node, what: &str) -> Result<Hook, AppSpecError> {
    let entries = node.entries(&format!("each script of {what}"), "hooks")?;
    let location = match find(entries, "location") {
        Some(n) => n.text("a script location", "hooks")?,
        None => None,
    };
    let location = location.map(|l| l.trim().to_string()).unwrap_or_default();
    if location.is_empty() {
        return err("The deployment failed because the application specification file specifies a script with no location value. Specify the location in the hooks section of the AppSpec file, and then try again.");
    }
    let timeout_seconds = match find(entries, "timeout") {
        Some(n) => timeout(n)?,
        None => MAX_TIMEOUT_SECONDS,
    };
    let runas = match find(entries, "runas") {
        Some(n) => n
            .text("a script's runas", "hooks")?
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty()),
        None => None,
    };
    Ok(Hook {
        location,
        timeout_seconds,
        runas,
    })
}

/// A script `timeout`: whole seconds (a fraction is dropped, as the agent's `to_i` does),
/// 1..=3600; null means the default.
fn timeout(node: &Node) -> Result<u32, AppSpecError> {
    let Some(text) = node.text("a script timeout", "hooks")? else {
        return Ok(MAX_TIMEOUT_SECONDS);
    };
    let seconds = text
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(f64::trunc);
    match seconds {
        Some(v) if v >= 1.0 && v <= f64::from(MAX_TIMEOUT_SECONDS) => Ok(v as u32),
        Some(v) if v > f64::from(MAX_TIMEOUT_SECONDS) => fail(
            format!(
                "the application specification file specifies a script timeout ({text}) at line {} that is longer than the maximum of {MAX_TIMEOUT_SECONDS} seconds",
                node.line
            ),
            "hooks",
        ),
        _ => err(format!(
            "The deployment failed because an invalid timeout value was provided for a script in the application specification file (line {}). Make corrections in the hooks section of the AppSpec file, and then try again.",
            node.line
        )),
    }
}

fn files(node: &Node) -> Result<Vec<FileMapping>, AppSpecError> {
    let mut out = Vec::new();
    for item in node.items("the files section", "files", false)? {
        let entries = item.entries("each entry of the files section", "files")?;
        let get = |key: &str| -> Result<Option<String>, AppSpecError> {
            match find(entries, key) {
                Some(n) => n.text(&format!("a file's {key}"), "files"),
                None => Ok(None),
            }
        };
        let (source, destination) = (get("source")?, get("destination")?);
        let Some(source) = source else {
            return err("The deployment failed because the application specification file specifies a destination file, but no source file. Update the files section of the AppSpec file, and then try again.");
        };
        let Some(destination) = destination else {
            return err(format!(
                "The deployment failed because the application specification file specifies only a source file ({source}). Add the name of the destination file to the files section of the AppSpec file, and then try again."
            ));
        };
        let mapping = FileMapping {
            source,
            destination,
        };
        mapping.validate().map_err(|e| AppSpecError {
            message: format!("{} (line {})", e.message, item.line),
        })?;
        out.push(mapping);
    }
    Ok(out)
}

fn permissions(node: &Node, os: Os) -> Result<Vec<Permission>, AppSpecError> {
    let mut out = Vec::new();
    for item in node.items("the permissions section", "permissions", false)? {
        out.push(permission(item, os)?);
    }
    Ok(out)
}

fn permission(node: &Node, os: Os) -> Result<Permission, AppSpecError> {
    const SECTION: &str = "permissions";
    let entries = node.entries("each entry of the permissions section", SECTION)?;
    let text = |key: &str| -> Result<Option<String>, AppSpecError> {
        match find(entries, key) {
            Some(n) => n.text(&format!("a permission's {key}"), SECTION),
            None => Ok(None),
        }
    };
    let list = |key: &str| -> Result<Option<Vec<String>>, AppSpecError> {
        let Some(n) = find(entries, key).filter(|n| !n.is_null()) else {
            return Ok(None);
        };
        let what = format!("a permission's {key}");
        let mut out = Vec::new();
        for item in n.items(&what, SECTION, true)? {
            out.extend(item.text(&what, SECTION)?);
        }
        Ok(Some(out))
    };
    let object = text("object")?.map(|o| o.trim().to_string());
    let Some(object) = object.filter(|o| !o.is_empty()) else {
        return err("The deployment failed because a permission listed in the application specification file has no object value. Update the permissions section of the AppSpec file, and then try again.");
    };
    if os == Os::Windows {
        return err("The deployment failed because the application specification file specifies file permissions, but the deployment is targeting one or more Windows Server instances. Permissions are supported only for Linux instances. Update the permissions section of the AppSpec file, and then try again.");
    }
    let mut types = Vec::new();
    for name in list("type")?.unwrap_or_else(|| vec!["file".into(), "directory".into()]) {
        let t = match name.as_str() {
            "file" => PermissionType::File,
            "directory" => PermissionType::Directory,
            _ => return err(format!(
                "The deployment failed because the application specification file specifies a permission for an object type not supported for permissions ({name}). Update the permissions section of the AppSpec file, and then try again."
            )),
        };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        types = vec![PermissionType::File, PermissionType::Directory];
    }
    let context = match find(entries, "context").filter(|n| !n.is_null()) {
        Some(n) => Some(context(n)?),
        None => None,
    };
    Ok(Permission {
        object,
        pattern: text("pattern")?.filter(|p| p != "**"),
        except: list("except")?.unwrap_or_default(),
        owner: text("owner")?,
        group: text("group")?,
        mode: text("mode")?.map(mode).transpose()?,
        acls: list("acls")?.unwrap_or_default(),
        context,
        r#type: types,
    })
}

/// A permission `mode`: one to four octal digits, padded to three as the agent pads them.
fn mode(text: String) -> Result<String, AppSpecError> {
    let mode = format!("{text:0>3}");
    if mode.len() > 4 {
        return err(format!(
            "The deployment failed because the length of a permissions mode ({mode}) in the application specification file is invalid. Permissions modes must be between one and four characters long. Update the permissions section of the AppSpec file, and then try again."
        ));
    }
    if let Some(c) = mode.chars().find(|c| !('0'..='7').contains(c)) {
        return err(format!(
            "The deployment failed because the permissions mode ({mode}) in the application specification file contains an invalid character ({c}). Update the permissions section of the AppSpec file, and then try again."
        ));
    }
    Ok(mode)
}

fn context(node: &Node) -> Result<SeLinuxContext, AppSpecError> {
    const SECTION: &str = "permissions";
    let entries = node.entries("a permission's context", SECTION)?;
    let text = |key: &str| -> Result<Option<String>, AppSpecError> {
        match find(entries, key) {
            Some(n) => n.text(&format!("a permission context's {key}"), SECTION),
            None => Ok(None),
        }
    };
    let Some(r#type) = text("type")? else {
        return err(format!(
            "The deployment failed because the application specification file specifies an invalid context type (line {}). Update the permissions section of the AppSpec file, and then try again.",
            node.line
        ));
    };
    Ok(SeLinuxContext {
        name: text("name")?,
        r#type,
        range: text("range")?,
    })
}

/// A top-level `file_exists_behavior`.
fn file_exists_behavior(node: &Node) -> Result<Option<String>, AppSpecError> {
    let Some(text) = node.text("file_exists_behavior", "file_exists_behavior")? else {
        return Ok(None);
    };
    match text.as_str() {
        "DISALLOW" | "OVERWRITE" | "RETAIN" => Ok(Some(text)),
        _ => err(format!(
            "The deployment failed because an invalid option was specified for fileExistsBehavior: {text}. Valid options include OVERWRITE, RETAIN, and DISALLOW."
        )),
    }
}

#[cfg(test)]
#[path = "appspec_tests.rs"]
mod tests;
