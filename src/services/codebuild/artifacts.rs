//! Choosing a build's artifact files the way CodeBuild does, from a buildspec `artifacts`
//! section (or one secondary artifact) and the source directory copied out of the container,
//! and zipping the choice. Pure file-system work: no S3, no containers, no build state.
//!
//! Rules (CodeBuild's, with simfra's decisions where AWS does not say):
//! - `base-directory` is relative to the source root; it may be a glob (`build/*/dist`), in
//!   which case every matching directory is a base. A base that does not exist fails with
//!   `no matching base directory path found for <dir>`.
//! - `files` and `exclude-paths` are globs relative to the base: `*` and `?` within one path
//!   segment (they match dotfiles too), `[abc]`, `[a-z]`, `[!a]` classes, `\` escapes, and
//!   `**` as a whole segment for any number of segments. `**/*` is everything; a directory
//!   name alone (`dist`, `dist/`) matches no file: write `dist/**/*`.
//! - Names inside the artifact are relative to the base; `discard-paths` keeps only the file
//!   name. When two files get the same name, the later one in walk order (component-wise
//!   lexical, then later base) wins: it is the file an unzip of AWS's archive leaves behind.
//! - Nothing escapes the root: a glob or base with `..` or a leading `/` is rejected, and a
//!   symlink whose target is outside the root (or dangling) is skipped. A symlink to a file
//!   inside the root is stored as that file, or as a link with `enable-symlinks`; symlinked
//!   directories are never descended (no loops), and kept as links only with
//!   `enable-symlinks`.
//! - The result is sorted by name, without duplicates; an empty result is
//!   `no matching artifact paths found`. Every error's status code is `CLIENT_ERROR`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::buildspec::ArtifactsSpec;

/// The phase-context `statusCode` of every [`SelectError`] (UPLOAD_ARTIFACTS phase).
pub const STATUS_CODE: &str = "CLIENT_ERROR";

/// One file (or, with `enable-symlinks`, symlink) to put in the artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Its path on disk (under the root).
    pub source: PathBuf,
    /// Its `/`-separated path inside the artifact.
    pub name: String,
    /// `Some(target)` when it is stored as a symlink (as `readlink` gives it).
    pub symlink: Option<PathBuf>,
}

/// Why no artifact could be chosen. `message()` is the phase-context message; `Display`
/// prefixes it with `CLIENT_ERROR: `.
#[derive(Debug)]
pub enum SelectError {
    NoMatch,
    NoBaseDirectory(String),
    /// A glob or base directory that would leave the source root.
    OutsideRoot(String),
    Io(io::Error),
}

impl SelectError {
    pub fn message(&self) -> String {
        match self {
            SelectError::NoMatch => "no matching artifact paths found".to_string(),
            SelectError::NoBaseDirectory(d) => format!("no matching base directory path found for {d}"),
            SelectError::OutsideRoot(p) => format!(
                "invalid artifact path {p}: paths must be relative and stay inside the source directory"
            ),
            SelectError::Io(e) => format!("reading the artifact files failed: {e}"),
        }
    }
}

impl std::fmt::Display for SelectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{STATUS_CODE}: {}", self.message())
    }
}

impl std::error::Error for SelectError {}

impl From<io::Error> for SelectError {
    fn from(e: io::Error) -> Self {
        SelectError::Io(e)
    }
}

// ---- globs --------------------------------------------------------------------------------

/// A compiled path glob (see the module doc for the syntax).
#[derive(Debug, Clone)]
pub struct Glob {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `**`: any number of whole segments, including none.
    AnyDepth,
    Tokens(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    Star,
    Question,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    /// Compiles `pattern`; `./` prefixes, empty and `.` segments are dropped. A pattern that
    /// starts with `/` or has a `..` segment is [`SelectError::OutsideRoot`].
    pub fn new(pattern: &str) -> Result<Glob, SelectError> {
        if pattern.starts_with('/') || pattern.split('/').any(|s| s == "..") {
            return Err(SelectError::OutsideRoot(pattern.to_string()));
        }
        let mut segments = Vec::new();
        for seg in pattern.split('/').filter(|s| !s.is_empty() && *s != ".") {
            let segment = if seg == "**" {
                Segment::AnyDepth
            } else {
                Segment::Tokens(tokens(seg))
            };
            if !(segment == Segment::AnyDepth && segments.last() == Some(&Segment::AnyDepth)) {
                segments.push(segment);
            }
        }
        Ok(Glob { segments })
    }

    /// Whether the `/`-separated relative `path` matches. An empty glob matches nothing.
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        !self.segments.is_empty() && match_segments(&self.segments, &parts)
    }
}

fn tokens(seg: &str) -> Vec<Token> {
    let chars: Vec<char> = seg.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::Question),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                out.push(Token::Char(chars[i]));
            }
            '[' => match class(&chars[i + 1..]) {
                Some((token, used)) => {
                    out.push(token);
                    i += used;
                }
                None => out.push(Token::Char('[')),
            },
            c => out.push(Token::Char(c)),
        }
        i += 1;
    }
    out
}

/// Parses a class after its `[`; returns it and the number of chars used (through `]`), or
/// `None` when unterminated (the `[` is then literal).
fn class(chars: &[char]) -> Option<(Token, usize)> {
    let mut i = 0;
    let negated = matches!(chars.first(), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let start = i;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && i > start {
            return Some((Token::Class { negated, ranges }, i + 1));
        }
        if i + 2 < chars.len() && chars[i + 1] == '-' && chars[i + 2] != ']' {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

fn match_segments(pattern: &[Segment], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((Segment::AnyDepth, rest)) => {
            (0..=path.len()).any(|i| match_segments(rest, &path[i..]))
        }
        Some((Segment::Tokens(tokens), rest)) => match path.split_first() {
            Some((first, others)) => match_segment(tokens, first) && match_segments(rest, others),
            None => false,
        },
    }
}

/// Wildcard match of one segment: every token but `*` takes exactly one char, so the
/// classic backtrack-to-the-last-star walk is enough (linear-ish, no exponential cases).
fn match_segment(tokens: &[Token], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut t, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(Token::Star) => {
                star = Some((t, s));
                t += 1;
                continue;
            }
            Some(tok) if takes(tok, text[s]) => {
                t += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, ss)) => {
                star = Some((st, ss + 1));
                t = st + 1;
                s = ss + 1;
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::Star)
}

fn takes(token: &Token, c: char) -> bool {
    match token {
        Token::Char(x) => *x == c,
        Token::Question => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
        Token::Star => false,
    }
}

// ---- walking the tree ---------------------------------------------------------------------

/// A file (or link, or directory) found under a walk's start: its components relative to it.
struct Entry {
    rel: Vec<String>,
    path: PathBuf,
    symlink: Option<PathBuf>,
    is_dir: bool,
}

/// Walks `dir` depth-first in name order. Symlinks are resolved against `root` (canonical):
/// outside or dangling ones are skipped; see the module doc for the rest.
fn walk(
    root: &Path,
    dir: &Path,
    rel: &mut Vec<String>,
    keep_links: bool,
    out: &mut Vec<Entry>,
) -> io::Result<()> {
    let mut children: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let path = child.path();
        let ty = child.file_type()?;
        let inside = || fs::canonicalize(&path).is_ok_and(|target| target.starts_with(root));
        // (is a directory to descend, the link to store)
        let kind = if ty.is_dir() {
            Some((true, None))
        } else if ty.is_file() {
            Some((false, None))
        } else if !ty.is_symlink() || !inside() {
            None
        } else if keep_links {
            Some((false, Some(fs::read_link(&path)?)))
        } else if fs::metadata(&path)?.is_file() {
            Some((false, None))
        } else {
            None
        };
        let Some((is_dir, symlink)) = kind else {
            continue;
        };
        rel.push(child.file_name().to_string_lossy().into_owned());
        out.push(Entry {
            rel: rel.clone(),
            path: path.clone(),
            symlink,
            is_dir,
        });
        if is_dir {
            walk(root, &path, rel, keep_links, out)?;
        }
        rel.pop();
    }
    Ok(())
}

/// The entries of each base directory, relative to that base (one list without a glob).
fn bases(root: &Path, spec: &ArtifactsSpec) -> Result<Vec<Vec<Entry>>, SelectError> {
    let canonical_root = fs::canonicalize(root)?;
    let keep_links = spec.enable_symlinks;
    let base = spec.base_directory.as_deref().map(str::trim).unwrap_or("");
    let base_glob = Glob::new(base)?;
    if base_glob.segments.is_empty() {
        let mut all = Vec::new();
        walk(&canonical_root, root, &mut Vec::new(), keep_links, &mut all)?;
        return Ok(vec![all]);
    }
    if !base.contains(['*', '?', '[', '\\']) {
        let dir = root.join(base);
        let inside =
            fs::canonicalize(&dir).is_ok_and(|d| d.starts_with(&canonical_root) && d.is_dir());
        if !inside {
            return Err(SelectError::NoBaseDirectory(base.to_string()));
        }
        let mut files = Vec::new();
        walk(
            &canonical_root,
            &dir,
            &mut Vec::new(),
            keep_links,
            &mut files,
        )?;
        return Ok(vec![files]);
    }
    let mut all = Vec::new();
    walk(&canonical_root, root, &mut Vec::new(), keep_links, &mut all)?;
    let dirs: Vec<Vec<String>> = all
        .iter()
        .filter(|e| e.is_dir && base_glob.matches(&e.rel.join("/")))
        .map(|e| e.rel.clone())
        .collect();
    if dirs.is_empty() {
        return Err(SelectError::NoBaseDirectory(base.to_string()));
    }
    Ok(dirs
        .iter()
        .map(|d| {
            all.iter()
                .filter(|e| e.rel.len() > d.len() && e.rel.starts_with(d))
                .map(|e| Entry {
                    rel: e.rel[d.len()..].to_vec(),
                    path: e.path.clone(),
                    symlink: e.symlink.clone(),
                    is_dir: e.is_dir,
                })
                .collect()
        })
        .collect())
}

/// Chooses the files of one artifact (the primary spec, or one of `spec.secondary`) under
/// `root`, the source directory on the host. Sorted by name, no duplicates, never empty.
pub fn select(root: &Path, spec: &ArtifactsSpec) -> Result<Vec<Selected>, SelectError> {
    let include = spec
        .files
        .iter()
        .map(|p| Glob::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    let exclude = spec
        .exclude_paths
        .iter()
        .map(|p| Glob::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut chosen = BTreeMap::new();
    for entries in bases(root, spec)? {
        for entry in entries {
            // Directories are walked, not stored (a kept directory symlink is not `is_dir`).
            if entry.is_dir {
                continue;
            }
            let rel = entry.rel.join("/");
            if !include.iter().any(|g| g.matches(&rel)) || exclude.iter().any(|g| g.matches(&rel)) {
                continue;
            }
            let name = if spec.discard_paths {
                entry.rel.last().cloned().unwrap_or(rel)
            } else {
                rel
            };
            chosen.insert(
                name.clone(),
                Selected {
                    source: entry.path,
                    name,
                    symlink: entry.symlink,
                },
            );
        }
    }
    if chosen.is_empty() {
        return Err(SelectError::NoMatch);
    }
    Ok(chosen.into_values().collect())
}

/// Writes `files` to a new zip at `out` (deflated, Unix modes kept, symlinks as link
/// entries, zip64 when a file needs it), in the order given.
pub fn zip_selected(files: &[Selected], out: &Path) -> io::Result<()> {
    let mut zip = zip::ZipWriter::new(File::create(out)?).set_auto_large_file();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for file in files {
        match &file.symlink {
            Some(target) => zip.add_symlink(&file.name, target.to_string_lossy(), options)?,
            None => {
                zip.start_file(
                    &file.name,
                    options.unix_permissions(file_mode(&file.source)),
                )?;
                io::copy(&mut File::open(&file.source)?, &mut zip)?;
            }
        }
    }
    zip.finish()?;
    Ok(())
}

#[cfg(unix)]
fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o644)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> u32 {
    0o644
}

#[cfg(test)]
#[path = "artifacts_tests.rs"]
mod tests;
