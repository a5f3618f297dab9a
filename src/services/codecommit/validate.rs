//! Request validation in CodeCommit's terms: repository names (the model's `[\w\.-]+`, 1-100),
//! branch names (git's ref rules), object ids, commit specifiers and in-repository paths.
//! A name or path that passes here is safe to hand to git and never names a file outside the
//! repository.

use super::errors::{Code, CodeCommitError as E, Result};
use super::git;

/// `[\w\.-]+` as the model writes it (ASCII word characters, `.` and `-`).
pub fn repository_name(name: Option<&str>) -> Result<&str> {
    let name = name.filter(|n| !n.is_empty()).ok_or_else(|| {
        E::new(
            Code::RepositoryNameRequired,
            "A repository name is required.",
        )
    })?;
    let ok = name.chars().count() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        // `.git`-suffixed and dot-only names are reserved by AWS.
        && name != "."
        && name != ".."
        && !name.to_ascii_lowercase().ends_with(".git");
    if !ok {
        return Err(E::new(
            Code::InvalidRepositoryName,
            format!("The repository name '{name}' is not valid: it must be 1-100 characters of letters, digits, '_', '.' and '-', and must not end in .git"),
        ));
    }
    Ok(name)
}

pub fn description(d: Option<&str>) -> Result<()> {
    if let Some(d) = d {
        if d.chars().count() > 1000 || d.contains(['<', '>']) {
            return Err(E::new(
                Code::InvalidRepositoryDescription,
                "The repository description must be at most 1000 characters and must not contain angle brackets.",
            ));
        }
    }
    Ok(())
}

pub fn branch_name(name: Option<&str>) -> Result<&str> {
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| E::new(Code::BranchNameRequired, "A branch name is required."))?;
    if name.chars().count() > 256 || !git::valid_branch_name(name) {
        return Err(E::new(
            Code::InvalidBranchName,
            format!("The branch name '{name}' is not valid."),
        ));
    }
    Ok(name)
}

/// A full 40-hex object id.
pub fn is_object_id(id: &str) -> bool {
    id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A commit specifier (branch, tag or id): something git may resolve, never an option.
pub fn commit_specifier(spec: &str) -> bool {
    !spec.is_empty()
        && !spec.starts_with('-')
        && spec.len() <= 256
        && !spec.contains([':', '^', '~', '@', '\\', '*', '?', '[', ' '])
        && !spec.contains("..")
        && !spec.chars().any(char::is_control)
}

/// An in-repository path for writes: relative, no empty, `.` or `..` segment, no `.git`.
/// Returns it without a trailing slash.
pub fn file_path(path: Option<&str>) -> Result<String> {
    let path = path
        .filter(|p| !p.is_empty())
        .ok_or_else(|| E::new(Code::PathRequired, "The file path is required."))?;
    let invalid = || {
        E::new(
            Code::InvalidPath,
            format!("The path '{path}' is not valid: it must be a relative path inside the repository, without '.' or '..' segments"),
        )
    };
    if path.starts_with('/') || path.ends_with('/') || path.len() > 4096 {
        return Err(invalid());
    }
    for seg in path.split('/') {
        if seg.is_empty()
            || seg == "."
            || seg == ".."
            || seg.eq_ignore_ascii_case(".git")
            || seg.chars().any(char::is_control)
        {
            return Err(invalid());
        }
    }
    Ok(path.to_string())
}

/// A path for reads: a leading `/` is allowed (the repository root), `""`/`/` is the root.
pub fn read_path(path: Option<&str>) -> Result<String> {
    let raw = path.ok_or_else(|| E::new(Code::PathRequired, "The path is required."))?;
    let trimmed = raw.trim_start_matches('/').trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    file_path(Some(trimmed))
        .map_err(|_| E::new(Code::InvalidPath, format!("The path '{raw}' is not valid.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        assert!(repository_name(Some("my-repo_1.x")).is_ok());
        assert_eq!(
            repository_name(None).unwrap_err().code(),
            "RepositoryNameRequiredException"
        );
        for bad in ["a b", "../x", "a/b", "x.git", "..", &"a".repeat(101)] {
            assert_eq!(
                repository_name(Some(bad)).unwrap_err().code(),
                "InvalidRepositoryNameException",
                "{bad}"
            );
        }
    }

    #[test]
    fn paths() {
        assert_eq!(file_path(Some("a/b.txt")).unwrap(), "a/b.txt");
        for bad in [
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a/",
            ".git/config",
            "./a",
        ] {
            assert_eq!(
                file_path(Some(bad)).unwrap_err().code(),
                "InvalidPathException",
                "{bad}"
            );
        }
        assert_eq!(file_path(None).unwrap_err().code(), "PathRequiredException");
        assert_eq!(read_path(Some("/")).unwrap(), "");
        assert_eq!(read_path(Some("/src/")).unwrap(), "src");
        assert!(read_path(Some("/../x")).is_err());
    }

    #[test]
    fn specifiers() {
        assert!(commit_specifier("main"));
        assert!(commit_specifier("feature/x"));
        assert!(!commit_specifier("--output=x"));
        assert!(!commit_specifier("main:secret"));
        assert!(!commit_specifier("a..b"));
        assert!(is_object_id(&"a".repeat(40)));
        assert!(!is_object_id("abc"));
    }
}
