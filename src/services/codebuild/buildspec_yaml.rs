//! The YAML layer of the buildspec parser: a node tree that remembers lines (built from
//! `yaml-rust2`'s events, with anchors, aliases and `<<` merge keys), and the scalar and list
//! readers the typed mapping in `buildspec.rs` uses. Knows nothing of buildspec keys.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{err, BuildSpecError};

/// A YAML node with the (1-based) line it starts on.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) line: usize,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// `plain` = unquoted and untagged, so `~`/`null`/empty mean null.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub(super) fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
    fn found(&self) -> &'static str {
        match self.kind {
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "subkeys",
        }
    }
    pub(super) fn type_error<T>(&self, what: &str, ty: &str) -> Result<T, BuildSpecError> {
        err(format!(
            "Expected {what} to be of {ty} type: found {} instead at line {}",
            self.found(),
            self.line
        ))
    }
}

/// Builds [`Node`] trees from parser events (one root per document).
#[derive(Default)]
struct TreeBuilder {
    docs: Vec<Option<Node>>,
    root: Option<Node>,
    /// Open collections: (start line, is a mapping, anchor id, children so far).
    open: Vec<(usize, bool, usize, Vec<Node>)>,
    anchors: HashMap<usize, Node>,
    /// Nodes built so far, aliases counted as what they expand to.
    nodes: usize,
    /// The line of the alias that took the document past [`MAX_NODES`].
    too_big: Option<usize>,
}

/// Nodes a buildspec may expand to, aliases included: a guard against alias bombs (a few
/// lines of YAML that expand to billions of nodes).
const MAX_NODES: usize = 100_000;

/// The nodes of a tree.
fn size(n: &Node) -> usize {
    1 + match &n.kind {
        Kind::Scalar { .. } => 0,
        Kind::Seq(items) => items.iter().map(size).sum(),
        Kind::Map(pairs) => pairs.iter().map(|(k, v)| size(k) + size(v)).sum(),
    }
}

impl TreeBuilder {
    fn insert(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.open.last_mut() {
            Some((_, _, _, children)) => children.push(node),
            None => self.root = Some(node),
        }
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::SequenceStart(anchor, _) => self.open.push((mark.line(), false, anchor, vec![])),
            Event::MappingStart(anchor, _) => self.open.push((mark.line(), true, anchor, vec![])),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((line, is_map, anchor, children)) = self.open.pop() else {
                    return;
                };
                let kind = if is_map {
                    Kind::Map(pair_up(children))
                } else {
                    Kind::Seq(children)
                };
                self.insert(Node { line, kind }, anchor);
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.nodes += 1;
                let plain = style == TScalarStyle::Plain && tag.is_none();
                let node = Node {
                    line: mark.line(),
                    kind: Kind::Scalar { text, plain },
                };
                self.insert(node, anchor);
            }
            Event::Alias(id) => {
                let empty = Node {
                    line: mark.line(),
                    kind: Kind::Scalar {
                        text: String::new(),
                        plain: true,
                    },
                };
                let grows = self.anchors.get(&id).map_or(1, size);
                self.nodes = self.nodes.saturating_add(grows);
                if self.nodes > MAX_NODES {
                    self.too_big.get_or_insert(mark.line());
                }
                let node = match self.too_big {
                    Some(_) => empty,
                    None => self.anchors.get(&id).cloned().unwrap_or(empty),
                };
                self.insert(node, 0);
            }
            Event::DocumentEnd => {
                let root = self.root.take();
                self.docs.push(root);
            }
            _ => {}
        }
    }
}

/// Turns a mapping's flat children into pairs, applying `<<` merge keys: explicit keys win
/// over merged ones.
fn pair_up(children: Vec<Node>) -> Vec<(Node, Node)> {
    let mut pairs = Vec::new();
    let mut merged = Vec::new();
    let mut it = children.into_iter();
    while let (Some(key), Some(value)) = (it.next(), it.next()) {
        let is_merge = matches!(&key.kind, Kind::Scalar { text, plain: true } if text == "<<");
        match (is_merge, value.kind) {
            (true, Kind::Map(m)) => merged.extend(m),
            (true, Kind::Seq(items)) => {
                for item in items {
                    if let Kind::Map(m) = item.kind {
                        merged.extend(m);
                    }
                }
            }
            (_, kind) => pairs.push((
                key,
                Node {
                    line: value.line,
                    kind,
                },
            )),
        }
    }
    for (k, v) in merged {
        if !pairs.iter().any(|(pk, _)| same_key(pk, &k)) {
            pairs.push((k, v));
        }
    }
    pairs
}

fn same_key(a: &Node, b: &Node) -> bool {
    matches!((&a.kind, &b.kind), (Kind::Scalar { text: x, .. }, Kind::Scalar { text: y, .. }) if x == y)
}

/// Parses every document of `text`; a YAML syntax error becomes `<reason> at line N`, as
/// CodeBuild words it (`did not find expected ',' or ']' at line 19`).
pub(super) fn load(text: &str) -> Result<Vec<Option<Node>>, BuildSpecError> {
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    match parser.load(&mut builder, true) {
        Ok(()) if builder.too_big.is_some() => err(format!(
            "the buildspec expands to more than {MAX_NODES} YAML nodes (aliases at line {} included)",
            builder.too_big.unwrap_or_default()
        )),
        Ok(()) => Ok(builder.docs),
        Err(e) => err(format!("{} at line {}", e.info(), e.marker().line())),
    }
}

// ---- scalars and lists -------------------------------------------------------------------

/// The text of a scalar (`None` for null); anything else is a type error naming `what`.
pub(super) fn scalar(node: &Node, what: &str) -> Result<Option<String>, BuildSpecError> {
    match &node.kind {
        _ if node.is_null() => Ok(None),
        Kind::Scalar { text, .. } => Ok(Some(text.clone())),
        _ => node.type_error(what, "string"),
    }
}

/// A YAML 1.1 boolean, as AWS reads `discard-paths` and friends; null is false.
pub(super) fn boolean(node: &Node, what: &str) -> Result<bool, BuildSpecError> {
    let Some(text) = scalar(node, what)? else {
        return Ok(false);
    };
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "on" => Ok(true),
        "no" | "n" | "false" | "off" => Ok(false),
        _ => err(format!(
            "invalid value {text:?} for {what} at line {}: expected yes, no, true or false",
            node.line
        )),
    }
}

/// A list of strings (`files`, `exclude-paths`, ...): a single scalar counts as a list of
/// one (`files: imagedefinitions.json` is common); null is empty.
pub(super) fn string_list(node: &Node, what: &str) -> Result<Vec<String>, BuildSpecError> {
    match &node.kind {
        Kind::Seq(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.extend(scalar(item, &format!("{what}[{i}]"))?);
            }
            Ok(out)
        }
        Kind::Map(_) => node.type_error(what, "list"),
        Kind::Scalar { .. } => Ok(scalar(node, what)?.into_iter().collect()),
    }
}
