//! Unit tests of artifact selection and the glob matcher.

use super::*;

fn glob(p: &str) -> Glob {
    Glob::new(p).unwrap()
}

#[test]
fn glob_table() {
    let table: &[(&str, &str, bool)] = &[
        ("**/*", "a.txt", true),
        ("**/*", "a/b/c.txt", true),
        ("**/*", ".hidden/x", true),
        ("**", "a/b", true),
        ("*", "a.txt", true),
        ("*", "a/b.txt", false),
        ("*.jar", "app.jar", true),
        ("*.jar", "lib/app.jar", false),
        ("**/*.jar", "lib/app.jar", true),
        ("**/*.jar", "app.jar", true),
        ("target/*.jar", "target/app.jar", true),
        ("target/*.jar", "target/sub/app.jar", false),
        ("target/**/*.jar", "target/app.jar", true),
        ("target/**/*.jar", "target/a/b/app.jar", true),
        ("dir/**/*", "dir/x", true),
        ("dir/**/*", "dir/a/b/x", true),
        ("dir/**/*", "other/x", false),
        ("dir/**/*", "dir", false),
        ("dir", "dir/x", false),
        ("dir/", "dir/x", false),
        ("a/**/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/x/y/c", false),
        ("./build/out.txt", "build/out.txt", true),
        ("build//out.txt", "build/out.txt", true),
        ("file?.txt", "file1.txt", true),
        ("file?.txt", "file10.txt", false),
        ("file[12].txt", "file2.txt", true),
        ("file[12].txt", "file3.txt", false),
        ("file[!12].txt", "file3.txt", true),
        ("file[^12].txt", "file1.txt", false),
        ("file[a-c].txt", "fileb.txt", true),
        ("file[a-c].txt", "filed.txt", false),
        ("[]]x", "]x", true),
        ("file[.txt", "file[.txt", true),
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        ("*a*b*c*", "xxaxxbxxcxx", true),
        ("*a*b*c*", "xxaxxcxxbxx", false),
        ("**a", "ba", true),
        ("README.md", "README.md", true),
        ("README.md", "docs/README.md", false),
        ("", "a", false),
        ("é*", "éte.txt", true),
    ];
    for (pattern, path, want) in table {
        assert_eq!(glob(pattern).matches(path), *want, "{pattern} vs {path}");
    }
}

#[test]
fn globs_may_not_leave_the_root() {
    for p in ["../x", "a/../../b", "/etc/passwd", "..", "a/.."] {
        assert!(
            matches!(Glob::new(p), Err(SelectError::OutsideRoot(_))),
            "{p}"
        );
    }
    // `..` inside a name is fine.
    assert!(glob("a..b").matches("a..b"));
}

/// A source tree:
/// README.md, app.jar, .env, build/app.jar, build/app.jar.map, build/lib/dep.jar,
/// build/tmp/scratch.txt, dist/index.html, dist/js/main.js, dist/js/main.js.map,
/// docs/index.html, pkg/a/dist/x.txt, pkg/b/dist/x.txt, empty/
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "README.md",
        "app.jar",
        ".env",
        "build/app.jar",
        "build/app.jar.map",
        "build/lib/dep.jar",
        "build/tmp/scratch.txt",
        "dist/index.html",
        "dist/js/main.js",
        "dist/js/main.js.map",
        "docs/index.html",
        "pkg/a/dist/x.txt",
        "pkg/b/dist/x.txt",
    ] {
        let path = dir.path().join(f);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, f).unwrap();
    }
    fs::create_dir_all(dir.path().join("empty")).unwrap();
    dir
}

fn spec(files: &[&str]) -> ArtifactsSpec {
    ArtifactsSpec {
        files: files.iter().map(|s| s.to_string()).collect(),
        ..ArtifactsSpec::default()
    }
}

fn names(root: &Path, spec: &ArtifactsSpec) -> Vec<String> {
    select(root, spec)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|s| s.name)
        .collect()
}

#[test]
fn everything() {
    let t = tree();
    let all = names(t.path(), &spec(&["**/*"]));
    assert_eq!(all.len(), 13);
    assert_eq!(all[0], ".env");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted: {all:?}");
    let selected = select(t.path(), &spec(&["README.md"])).unwrap();
    assert_eq!(selected[0].source, t.path().join("README.md"));
    assert_eq!(selected[0].symlink, None);
}

#[test]
fn patterns_and_duplicates() {
    let t = tree();
    assert_eq!(names(t.path(), &spec(&["*.jar"])), ["app.jar"]);
    assert_eq!(names(t.path(), &spec(&["build/*.jar"])), ["build/app.jar"]);
    assert_eq!(
        names(t.path(), &spec(&["**/*.jar", "build/**/*.jar", "app.jar"])),
        ["app.jar", "build/app.jar", "build/lib/dep.jar"]
    );
    // A directory name alone selects nothing.
    assert!(matches!(
        select(t.path(), &spec(&["dist"])),
        Err(SelectError::NoMatch)
    ));
}

#[test]
fn base_directory_and_exclusions() {
    let t = tree();
    let mut s = spec(&["**/*"]);
    s.base_directory = Some("dist".into());
    assert_eq!(
        names(t.path(), &s),
        ["index.html", "js/main.js", "js/main.js.map"]
    );
    s.exclude_paths = vec!["**/*.map".into()];
    assert_eq!(names(t.path(), &s), ["index.html", "js/main.js"]);
    s.exclude_paths = vec!["js/**/*".into()];
    assert_eq!(names(t.path(), &s), ["index.html"]);
    s.base_directory = Some("./dist/".into());
    assert_eq!(names(t.path(), &s), ["index.html"]);

    let mut b = spec(&["**/*"]);
    b.base_directory = Some("build".into());
    b.exclude_paths = vec!["tmp/*".into(), "*.map".into()];
    assert_eq!(names(t.path(), &b), ["app.jar", "lib/dep.jar"]);
}

#[test]
fn missing_or_empty_base_directory() {
    let t = tree();
    let mut s = spec(&["**/*"]);
    s.base_directory = Some("nope".into());
    let e = select(t.path(), &s).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CLIENT_ERROR: no matching base directory path found for nope"
    );
    s.base_directory = Some("README.md".into());
    assert!(matches!(
        select(t.path(), &s),
        Err(SelectError::NoBaseDirectory(_))
    ));
    s.base_directory = Some("empty".into());
    let e = select(t.path(), &s).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CLIENT_ERROR: no matching artifact paths found"
    );
    assert_eq!(e.message(), "no matching artifact paths found");
    assert_eq!(STATUS_CODE, "CLIENT_ERROR");
}

#[test]
fn glob_base_directory() {
    let t = tree();
    let mut s = spec(&["**/*"]);
    s.base_directory = Some("pkg/*/dist".into());
    // Both bases give `x.txt`: the later base wins.
    let selected = select(t.path(), &s).unwrap();
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].name, "x.txt");
    assert_eq!(selected[0].source, t.path().join("pkg/b/dist/x.txt"));
    s.base_directory = Some("pkg/*/nothing".into());
    assert!(matches!(
        select(t.path(), &s),
        Err(SelectError::NoBaseDirectory(_))
    ));
}

#[test]
fn discard_paths_flattens_and_the_last_wins() {
    let t = tree();
    let mut s = spec(&["**/*.html", "**/*.jar"]);
    s.discard_paths = true;
    let selected = select(t.path(), &s).unwrap();
    let got: Vec<(&str, PathBuf)> = selected
        .iter()
        .map(|x| {
            (
                x.name.as_str(),
                x.source.strip_prefix(t.path()).unwrap().to_path_buf(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("app.jar", PathBuf::from("build/app.jar")),
            ("dep.jar", PathBuf::from("build/lib/dep.jar")),
            ("index.html", PathBuf::from("docs/index.html")),
        ]
    );
}

#[test]
fn secondary_artifacts_select_independently() {
    let t = tree();
    let text = "version: 0.2\nartifacts:\n  files: ['**/*']\n  base-directory: dist\n  secondary-artifacts:\n    Docs:\n      files: ['docs/*']\n    Jars:\n      files: ['**/*.jar']\n      base-directory: build\n      discard-paths: yes\n";
    let artifacts = super::super::buildspec::parse(text)
        .unwrap()
        .artifacts
        .unwrap();
    assert_eq!(names(t.path(), &artifacts).len(), 3);
    assert_eq!(
        names(t.path(), artifacts.secondary("Docs").unwrap()),
        ["docs/index.html"]
    );
    assert_eq!(
        names(t.path(), artifacts.secondary("Jars").unwrap()),
        ["app.jar", "dep.jar"]
    );
}

#[test]
fn nothing_may_escape_the_root() {
    let t = tree();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let root = t.path().join("dist");
    for files in [
        &["../README.md"][..],
        &["/etc/passwd"],
        &["js/../../README.md"],
    ] {
        let e = select(&root, &spec(files)).unwrap_err();
        assert!(matches!(e, SelectError::OutsideRoot(_)), "{files:?}: {e}");
    }
    let mut s = spec(&["**/*"]);
    s.exclude_paths = vec!["../x".into()];
    assert!(matches!(
        select(&root, &s),
        Err(SelectError::OutsideRoot(_))
    ));
    for base in ["..", "../build", "/tmp"] {
        let mut s = spec(&["**/*"]);
        s.base_directory = Some(base.into());
        assert!(
            matches!(select(&root, &s), Err(SelectError::OutsideRoot(_))),
            "{base}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(outside.path().join("secret.txt"), root.join("leak.txt")).unwrap();
        symlink(outside.path(), root.join("leakdir")).unwrap();
        symlink(root.join("missing"), root.join("dangling")).unwrap();
        for enable_symlinks in [false, true] {
            let mut s = spec(&["**/*"]);
            s.enable_symlinks = enable_symlinks;
            assert_eq!(
                names(&root, &s),
                ["index.html", "js/main.js", "js/main.js.map"]
            );
            s.base_directory = Some("leakdir".into());
            assert!(matches!(
                select(&root, &s),
                Err(SelectError::NoBaseDirectory(_))
            ));
        }
    }
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_root() {
    use std::os::unix::fs::symlink;
    let t = tree();
    symlink("index.html", t.path().join("dist/home.html")).unwrap();
    symlink("js", t.path().join("dist/scripts")).unwrap();
    let mut s = spec(&["**/*"]);
    s.base_directory = Some("dist".into());
    // Followed as a file; the directory link is not descended.
    assert_eq!(
        names(t.path(), &s),
        ["home.html", "index.html", "js/main.js", "js/main.js.map"]
    );
    s.enable_symlinks = true;
    let selected = select(t.path(), &s).unwrap();
    let links: Vec<(&str, Option<&Path>)> = selected
        .iter()
        .map(|x| (x.name.as_str(), x.symlink.as_deref()))
        .filter(|(_, l)| l.is_some())
        .collect();
    assert_eq!(
        links,
        [
            ("home.html", Some(Path::new("index.html"))),
            ("scripts", Some(Path::new("js")))
        ]
    );
}

#[test]
fn zip_round_trip() {
    let t = tree();
    let mut s = spec(&["**/*"]);
    s.base_directory = Some("dist".into());
    let selected = select(t.path(), &s).unwrap();
    let out = tempfile::tempdir().unwrap();
    let zip_path = out.path().join("out.zip");
    zip_selected(&selected, &zip_path).unwrap();
    let dst = out.path().join("x");
    let mut written = crate::archive::unzip_to(&zip_path, &dst).unwrap();
    written.sort();
    assert_eq!(
        written,
        [
            PathBuf::from("index.html"),
            PathBuf::from("js/main.js"),
            PathBuf::from("js/main.js.map")
        ]
    );
    assert_eq!(
        fs::read_to_string(dst.join("js/main.js")).unwrap(),
        "dist/js/main.js"
    );
}

#[cfg(unix)]
#[test]
fn zip_keeps_modes_and_symlinks() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let t = tree();
    let script = t.path().join("dist/run.sh");
    fs::write(&script, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    symlink("run.sh", t.path().join("dist/start")).unwrap();
    let mut s = spec(&["run.sh", "start"]);
    s.base_directory = Some("dist".into());
    s.enable_symlinks = true;
    let out = tempfile::tempdir().unwrap();
    let zip_path = out.path().join("out.zip");
    zip_selected(&select(t.path(), &s).unwrap(), &zip_path).unwrap();
    let mut archive = zip::ZipArchive::new(File::open(&zip_path).unwrap()).unwrap();
    assert_eq!(
        archive.by_name("run.sh").unwrap().unix_mode().unwrap() & 0o777,
        0o755
    );
    let link = archive.by_name("start").unwrap();
    assert!(link.is_symlink());
}
