//! The real `git` client for tests, with a clean configuration: no host or user settings, no
//! prompts, `main` as the first branch, a fixed author.

use std::path::Path;
use std::process::{Command, Output};

/// Runs git in `dir`; returns its output, whatever its status.
pub fn git_out(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test User",
            "-c",
            "user.email=test@example.com",
        ])
        .args(["-c", "init.defaultBranch=main", "-c", "protocol.version=2"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs (is it installed?)")
}

/// Runs git in `dir`, which must succeed; returns its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_out(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
