use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::super::appspec::{self, AppSpec, FileMapping, Permission, PermissionType};
use super::*;

const ARCHIVE: &str = "/opt/codedeploy-agent/deployment-root/g-1/d-ABC/deployment-archive";
const RECORD: &str = "'/opt/codedeploy-agent/deployment-root/g-1/d-ABC/installed-files.txt'";

fn spec(text: &str) -> AppSpec {
    appspec::parse(text).unwrap_or_else(|e| panic!("{}", e.message))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn script(
    appspec: &AppSpec,
    behavior: FileExistsBehavior,
    bundle: &[&str],
    previous: &[&str],
) -> Result<Vec<String>, String> {
    let (bundle, previous) = (strings(bundle), strings(previous));
    install_script(&Install {
        appspec,
        archive_dir: ARCHIVE,
        file_exists_behavior: behavior,
        bundle_files: &bundle,
        previously_installed: &previous,
        root_prefix: "",
    })
    .map_err(|e| e.message)
}

fn lines(text: &str, behavior: FileExistsBehavior, bundle: &[&str]) -> Vec<String> {
    script(&spec(text), behavior, bundle, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn error(text: &str, bundle: &[&str]) -> String {
    script(&spec(text), FileExistsBehavior::Overwrite, bundle, &[])
        .expect_err("expected the install to be refused")
}

const HEAD: &str = "version: 0.0\nos: linux\n";

#[test]
fn a_single_file_lands_in_the_destination_directory() {
    let got = lines(
        &format!("{HEAD}files:\n  - source: config/app.conf\n    destination: /etc/myapp\n"),
        FileExistsBehavior::Disallow,
        &["appspec.yml", "config/app.conf", "config/other.conf"],
    );
    let rec = RECORD;
    let want = [
        "set -e".to_string(),
        format!(": > {rec}"),
        "if [ -e '/etc/myapp/app.conf' ] || [ -h '/etc/myapp/app.conf' ]; then printf '%s\\n' 'The deployment failed because a specified file already exists at this location: /etc/myapp/app.conf' >&2; exit 1; fi".to_string(),
        format!("if [ ! -d '/etc' ]; then mkdir '/etc'; printf '%s\\n' '/etc/' >> {rec}; made_0=1; fi"),
        format!("if [ ! -d '/etc/myapp' ]; then mkdir '/etc/myapp'; printf '%s\\n' '/etc/myapp/' >> {rec}; made_1=1; fi"),
        format!("cp -p '{ARCHIVE}/config/app.conf' '/etc/myapp/app.conf'; printf '%s\\n' '/etc/myapp/app.conf' >> {rec}"),
    ];
    assert_eq!(got, want);
}

#[test]
fn a_directory_source_copies_its_contents_recursively() {
    let got = lines(
        &format!("{HEAD}files:\n  - source: site/\n    destination: /var/www\n"),
        FileExistsBehavior::Overwrite,
        &[
            "appspec.yml",
            "site/index.html",
            "site/css/a.css",
            "site/empty/",
            "sitemap.xml",
        ],
    );
    let copies: Vec<&String> = got.iter().filter(|l| l.contains("cp -p")).collect();
    assert_eq!(copies.len(), 2, "{got:#?}");
    assert!(copies[0].starts_with(&format!(
        "rm -f '/var/www/css/a.css'; cp -p '{ARCHIVE}/site/css/a.css' '/var/www/css/a.css'"
    )));
    assert!(copies[1].contains(&format!(
        "cp -p '{ARCHIVE}/site/index.html' '/var/www/index.html'"
    )));
    let dirs: Vec<&str> = got
        .iter()
        .filter_map(|l| l.strip_prefix("if [ ! -d '"))
        .map(|l| &l[..l.find('\'').unwrap()])
        .collect();
    assert_eq!(dirs, ["/var", "/var/www", "/var/www/css", "/var/www/empty"]);
    assert!(
        !got.iter().any(|l| l.contains("sitemap")),
        "a sibling with the same prefix is not inside site/"
    );
}

#[test]
fn the_root_source_installs_the_whole_bundle() {
    for source in ["/", "''", "."] {
        let got = lines(
            &format!("{HEAD}files:\n  - source: {source}\n    destination: /srv/app/\n"),
            FileExistsBehavior::Overwrite,
            &["appspec.yml", "bin/run", "./lib/x.so"],
        );
        let copied: Vec<&str> = got
            .iter()
            .filter_map(|l| l.split("cp -p ").nth(1))
            .collect();
        assert_eq!(
            copied,
            [
                format!("'{ARCHIVE}/appspec.yml' '/srv/app/appspec.yml'; printf '%s\\n' '/srv/app/appspec.yml' >> {RECORD}"),
                format!("'{ARCHIVE}/bin/run' '/srv/app/bin/run'; printf '%s\\n' '/srv/app/bin/run' >> {RECORD}"),
                format!("'{ARCHIVE}/lib/x.so' '/srv/app/lib/x.so'; printf '%s\\n' '/srv/app/lib/x.so' >> {RECORD}"),
            ],
            "source {source}"
        );
    }
}

#[test]
fn retain_copies_only_what_is_missing() {
    let got = lines(
        &format!("{HEAD}files:\n  - source: a.txt\n    destination: /\n"),
        FileExistsBehavior::Retain,
        &["a.txt"],
    );
    assert_eq!(
        got,
        [
            "set -e".to_string(),
            format!(": > {RECORD}"),
            format!("if [ ! -e '/a.txt' ] && [ ! -h '/a.txt' ]; then cp -p '{ARCHIVE}/a.txt' '/a.txt'; printf '%s\\n' '/a.txt' >> {RECORD}; copied_0=1; fi"),
        ]
    );
}

#[test]
fn the_previous_deployment_is_cleaned_up_newest_first() {
    let appspec = spec(HEAD);
    let got = script(
        &appspec,
        FileExistsBehavior::Disallow,
        &[],
        &[
            "/opt/app/",
            "/opt/app/a.txt",
            "relative/x",
            "/opt/../etc/passwd",
            "/opt/app/b c.txt",
        ],
    )
    .unwrap();
    assert_eq!(
        got,
        [
            "set -e".to_string(),
            "if [ ! -d '/opt/app/b c.txt' ] || [ -h '/opt/app/b c.txt' ]; then rm -f '/opt/app/b c.txt'; fi".to_string(),
            "if [ ! -d '/opt/app/a.txt' ] || [ -h '/opt/app/a.txt' ]; then rm -f '/opt/app/a.txt'; fi".to_string(),
            "rmdir '/opt/app' 2>/dev/null || true".to_string(),
            format!(": > {RECORD}"),
        ]
    );
}

#[test]
fn paths_are_single_quoted() {
    assert_eq!(quote("/a b/it's"), r"'/a b/it'\''s'");
    let got = lines(
        &format!(
            "{HEAD}files:\n  - source: \"it's here.txt\"\n    destination: \"/opt/$HOME `x`\"\n"
        ),
        FileExistsBehavior::Overwrite,
        &["it's here.txt"],
    );
    assert!(
        got.iter().any(|l| l.contains(r"cp -p '/opt/codedeploy-agent/deployment-root/g-1/d-ABC/deployment-archive/it'\''s here.txt' '/opt/$HOME `x`/it'\''s here.txt'")),
        "{got:#?}"
    );
}

#[test]
fn sources_must_be_in_the_bundle() {
    assert_eq!(
        error(&format!("{HEAD}files:\n  - source: missing.txt\n    destination: /opt\n"), &["a.txt"]),
        "The deployment failed because the specified file does not exist in the bundle: missing.txt. Update the files section of the AppSpec file, and then try again."
    );
    // A directory is known from the files inside it.
    lines(
        &format!("{HEAD}files:\n  - source: deep/er\n    destination: /opt\n"),
        FileExistsBehavior::Overwrite,
        &["deep/er/x/y.txt"],
    );
}

#[test]
fn unsafe_paths_are_refused() {
    // The parser refuses these too; an AppSpec built by hand is checked again.
    let mut appspec = spec(HEAD);
    for (source, destination, expected) in [
        ("../x", "/opt", "source (../x) that contains a '..'"),
        ("x", "opt", "destination (opt) that is not an absolute path"),
        (
            "x",
            "/opt/../../etc",
            "destination (/opt/../../etc) that contains a '..'",
        ),
    ] {
        appspec.files = vec![FileMapping {
            source: source.into(),
            destination: destination.into(),
        }];
        let msg = script(&appspec, FileExistsBehavior::Overwrite, &["x"], &[]).unwrap_err();
        assert!(msg.contains(expected), "{msg}");
    }
    let msg = error(HEAD, &["../evil"]);
    assert!(msg.contains("unsafe path"), "{msg}");
    let msg = error(HEAD, &["a\nb"]);
    assert!(msg.contains("unsafe path"), "{msg}");
}

#[test]
fn windows_is_refused() {
    let msg = error("version: 0.0\nos: windows\n", &[]);
    assert!(msg.contains("only on Linux targets"), "{msg}");
}

#[test]
fn two_sources_for_one_destination() {
    let msg = error(
        &format!("{HEAD}files:\n  - source: a/x.txt\n    destination: /opt\n  - source: b/x.txt\n    destination: /opt\n"),
        &["a/x.txt", "b/x.txt"],
    );
    assert_eq!(
        msg,
        "The deployment failed because the application specification file specifies two source files named b/x.txt and a/x.txt for the same destination (/opt/x.txt). Remove one of the source file paths from the AppSpec file, and then try again."
    );
    let msg = error(
        &format!("{HEAD}files:\n  - source: x\n    destination: /opt\n  - source: d\n    destination: /opt\n"),
        &["x", "d/x/inner.txt"],
    );
    assert!(msg.contains("calls for installing the file x, but a file with that name already exists at the location (/opt/x)"), "{msg}");
}

const SITE: &[&str] = &[
    "site/index.html",
    "site/run.sh",
    "site/keep.sh",
    "site/lib/util.sh",
];

fn site(permissions: &str, behavior: FileExistsBehavior) -> Result<Vec<String>, String> {
    let text = format!(
        "{HEAD}files:\n  - source: site\n    destination: /var/www\npermissions:\n{permissions}"
    );
    script(&spec(&text), behavior, SITE, &[])
}

fn permission_lines(permissions: &str) -> Vec<String> {
    site(permissions, FileExistsBehavior::Overwrite)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|l| l.contains("chmod") || l.contains("chown") || l.contains("chgrp"))
        .collect()
}

#[test]
fn permissions_on_everything_below_an_object() {
    let got = permission_lines(
        "  - object: /var/www\n    mode: 640\n    owner: www-data\n    group: web\n",
    );
    assert_eq!(
        got,
        [
            "chmod 640 '/var/www/index.html'",
            "chown 'www-data:web' '/var/www/index.html'",
            "chmod 640 '/var/www/keep.sh'",
            "chown 'www-data:web' '/var/www/keep.sh'",
            "chmod 640 '/var/www/lib/util.sh'",
            "chown 'www-data:web' '/var/www/lib/util.sh'",
            "chmod 640 '/var/www/run.sh'",
            "chown 'www-data:web' '/var/www/run.sh'",
            // Directories only when this run created them.
            "if [ \"${made_2:-}\" = 1 ]; then chmod 640 '/var/www/lib'; fi",
            "if [ \"${made_2:-}\" = 1 ]; then chown 'www-data:web' '/var/www/lib'; fi",
        ]
    );
}

#[test]
fn permission_patterns_except_and_types() {
    // A pattern matches names directly inside the object; except leaves some alone.
    let got = permission_lines("  - object: /var/www\n    pattern: '*.sh'\n    except: [keep.sh]\n    mode: 755\n    type: [file]\n");
    assert_eq!(got, ["chmod 755 '/var/www/run.sh'"]);
    // Directories only.
    let got = permission_lines("  - object: /var\n    type: [directory]\n    group: web\n");
    assert_eq!(
        got,
        [
            "if [ \"${made_1:-}\" = 1 ]; then chgrp 'web' '/var/www'; fi",
            "if [ \"${made_2:-}\" = 1 ]; then chgrp 'web' '/var/www/lib'; fi",
        ]
    );
    // A file object.
    let got = permission_lines("  - object: /var/www/run.sh\n    mode: 700\n    owner: app\n");
    assert_eq!(
        got,
        [
            "chmod 700 '/var/www/run.sh'",
            "chown 'app' '/var/www/run.sh'"
        ]
    );
    // A file object whose types exclude files: nothing.
    assert!(permission_lines(
        "  - object: /var/www/run.sh\n    mode: 700\n    type: [directory]\n"
    )
    .is_empty());
    // An object this deployment installs nothing below: nothing.
    assert!(permission_lines("  - object: /etc\n    mode: 700\n").is_empty());
}

#[test]
fn retained_files_keep_their_permissions() {
    let got = site(
        "  - object: /var/www/run.sh\n    mode: 700\n",
        FileExistsBehavior::Retain,
    )
    .unwrap();
    let last = got.last().unwrap();
    // Files are copied in path order: run.sh is the fourth.
    assert_eq!(
        last,
        "if [ \"${copied_3:-}\" = 1 ]; then chmod 700 '/var/www/run.sh'; fi"
    );
}

#[test]
fn permission_errors() {
    let msg = site(
        "  - object: /var/www/run.sh\n    pattern: '*.sh'\n    mode: 700\n",
        FileExistsBehavior::Overwrite,
    )
    .unwrap_err();
    assert!(
        msg.contains("includes an object (/var/www/run.sh) with an invalid pattern (*.sh)"),
        "{msg}"
    );
    let msg = site(
        "  - object: /var/www/run.sh\n    except: [a]\n    mode: 700\n",
        FileExistsBehavior::Overwrite,
    )
    .unwrap_err();
    assert!(msg.contains("except parameter for a pattern in the permissions section ([a]) for the object named /var/www/run.sh"), "{msg}");
    let msg = site(
        "  - object: /var/www\n    mode: 700\n  - object: /var/www/lib\n    mode: 755\n",
        FileExistsBehavior::Overwrite,
    )
    .unwrap_err();
    assert_eq!(msg, "The deployment failed because the permissions setting for (/var/www/lib/util.sh) is specified more than once in the application specification file. Update the permissions section of the AppSpec file, and then try again.");
    let msg = site(
        "  - object: /var/www\n    acls: [u:bob:rw]\n",
        FileExistsBehavior::Overwrite,
    )
    .unwrap_err();
    assert!(msg.contains("acls or an SELinux context"), "{msg}");
    let msg = site(
        "  - object: /var/www\n    owner: 'a:b'\n",
        FileExistsBehavior::Overwrite,
    )
    .unwrap_err();
    assert!(msg.contains("an invalid owner (a:b)"), "{msg}");
    let msg = site(
        "  - object: /var/www\n    group: -x\n",
        FileExistsBehavior::Overwrite,
    )
    .unwrap_err();
    assert!(msg.contains("an invalid group (-x)"), "{msg}");
}

#[test]
fn globs() {
    assert!(glob("*", "anything"));
    assert!(glob("*.sh", "run.sh"));
    assert!(!glob("*.sh", "run.shx"));
    assert!(glob("a*b*c", "aXXbYYc"));
    assert!(glob("a*b*c", "abbc"));
    assert!(!glob("a*b*c", "acb"));
    assert!(glob("exact", "exact"));
    assert!(!glob("exact", "exactly"));
    assert!(glob("**", ""));
    assert!(!glob("", "x"));
}

#[test]
fn records_and_behaviors() {
    assert_eq!(
        record_path(ARCHIVE),
        "/opt/codedeploy-agent/deployment-root/g-1/d-ABC/installed-files.txt"
    );
    assert_eq!(record_path("/archive/"), "/installed-files.txt");
    assert_eq!(
        parse_record("/a/\n/a/b\n\n/c d \r\n"),
        ["/a/", "/a/b", "/c d "]
    );
}

#[test]
fn an_unknown_file_exists_behavior_is_refused() {
    let unknown = FileExistsBehavior::parse("retain");
    let msg = script(&spec(HEAD), unknown, &[], &[]).unwrap_err();
    assert_eq!(
        msg,
        "The deployment failed because an invalid option was specified for fileExistsBehavior: retain. Valid options include OVERWRITE, RETAIN, and DISALLOW."
    );
}

// ---- the scripts, run by the host's /bin/sh under a temporary root -----------------------

struct Target {
    dir: tempfile::TempDir,
}

impl Target {
    fn new(bundle: &[(&str, &str)]) -> Target {
        let dir = tempfile::tempdir().unwrap();
        let t = Target { dir };
        for (path, content) in bundle {
            let p = t.archive().join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, content).unwrap();
        }
        fs::create_dir_all(t.archive()).unwrap();
        fs::create_dir_all(t.root()).unwrap();
        t
    }
    fn archive(&self) -> std::path::PathBuf {
        self.dir
            .path()
            .join("deployment-root/g/d-1/deployment-archive")
    }
    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("root")
    }
    fn at(&self, path: &str) -> std::path::PathBuf {
        self.root().join(path.trim_start_matches('/'))
    }
    fn record(&self) -> Vec<String> {
        parse_record(
            &fs::read_to_string(
                self.dir
                    .path()
                    .join("deployment-root/g/d-1/installed-files.txt"),
            )
            .unwrap(),
        )
    }
    fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.archive(), &self.archive(), &mut out);
        out
    }
    /// Runs the Install step; Err is its stderr.
    fn install(
        &self,
        appspec: &AppSpec,
        behavior: FileExistsBehavior,
        previous: &[String],
    ) -> Result<(), String> {
        let archive = self.archive().to_str().unwrap().to_string();
        let root = self.root().to_str().unwrap().to_string();
        let bundle = self.files();
        let lines = install_script(&Install {
            appspec,
            archive_dir: &archive,
            file_exists_behavior: behavior,
            bundle_files: &bundle,
            previously_installed: previous,
            root_prefix: &root,
        })
        .map_err(|e| e.message)?;
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(lines.join("\n"))
            .output()
            .expect("run /bin/sh");
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(base)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        if path.is_dir() {
            out.push(format!("{rel}/"));
            walk(base, &path, out);
        } else {
            out.push(rel);
        }
    }
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const WEB: &str = "version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: /var/www/html\n  - source: conf/app.conf\n    destination: /etc/app\npermissions:\n  - object: /var/www/html\n    pattern: '*.sh'\n    mode: 750\n    type: [file]\n";

#[test]
fn run_install_then_redeploy() {
    let t = Target::new(&[
        ("appspec.yml", WEB),
        ("site/index.html", "<h1>v1</h1>"),
        ("site/start.sh", "echo hi"),
        ("site/js/app.js", "1"),
        ("site/empty/.keep", ""),
        ("conf/app.conf", "port=1"),
    ]);
    let appspec = spec(WEB);
    t.install(&appspec, FileExistsBehavior::Disallow, &[])
        .unwrap();
    assert_eq!(read(&t.at("/var/www/html/index.html")), "<h1>v1</h1>");
    assert_eq!(read(&t.at("/var/www/html/js/app.js")), "1");
    assert_eq!(read(&t.at("/etc/app/app.conf")), "port=1");
    assert!(t.at("/var/www/html/empty/.keep").exists());
    let mode = |p: &str| fs::metadata(t.at(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode("/var/www/html/start.sh"), 0o750);
    assert_ne!(mode("/var/www/html/index.html"), 0o750);
    let record = t.record();
    assert!(record.contains(&"/var/www/html/".to_string()), "{record:?}");
    assert!(
        record.contains(&"/var/www/html/js/app.js".to_string()),
        "{record:?}"
    );
    assert!(
        record.contains(&"/etc/app/app.conf".to_string()),
        "{record:?}"
    );
    assert!(
        !record.iter().any(|l| l.contains("root")),
        "recorded paths are logical: {record:?}"
    );

    // A second deployment of the same files: DISALLOW does not trip over our own files, and a
    // file the new revision no longer has is removed.
    fs::remove_dir_all(t.archive().join("site/js")).unwrap();
    fs::write(t.archive().join("site/index.html"), "<h1>v2</h1>").unwrap();
    t.install(&appspec, FileExistsBehavior::Disallow, &record)
        .unwrap();
    assert_eq!(read(&t.at("/var/www/html/index.html")), "<h1>v2</h1>");
    assert!(!t.at("/var/www/html/js/app.js").exists());
    assert!(
        !t.at("/var/www/html/js").exists(),
        "the emptied directory goes too"
    );
    assert!(!t.record().contains(&"/var/www/html/js/app.js".to_string()));
}

#[test]
fn run_disallow_fails_on_a_foreign_file_before_copying_anything() {
    let t = Target::new(&[("a.txt", "new"), ("b.txt", "new")]);
    fs::create_dir_all(t.at("/opt")).unwrap();
    fs::write(t.at("/opt/b.txt"), "theirs").unwrap();
    let appspec = spec("version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt\n");
    let stderr = t
        .install(&appspec, FileExistsBehavior::Disallow, &[])
        .unwrap_err();
    assert_eq!(
        stderr.trim(),
        "The deployment failed because a specified file already exists at this location: /opt/b.txt"
    );
    assert!(!t.at("/opt/a.txt").exists(), "nothing was copied");
    assert_eq!(read(&t.at("/opt/b.txt")), "theirs");
}

#[test]
fn run_overwrite_and_retain() {
    let t = Target::new(&[("a.txt", "new"), ("b.txt", "new")]);
    fs::create_dir_all(t.at("/opt")).unwrap();
    fs::write(t.at("/opt/b.txt"), "theirs").unwrap();
    let appspec = spec("version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt\npermissions:\n  - object: /opt\n    mode: 600\n");

    t.install(&appspec, FileExistsBehavior::Retain, &[])
        .unwrap();
    assert_eq!(read(&t.at("/opt/a.txt")), "new");
    assert_eq!(read(&t.at("/opt/b.txt")), "theirs");
    let mode = |p: &str| fs::metadata(t.at(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("/opt/a.txt"), 0o600);
    assert_ne!(
        mode("/opt/b.txt"),
        0o600,
        "a retained file is not ours to chmod"
    );
    assert_eq!(
        t.record(),
        ["/opt/a.txt"],
        "/opt existed, b.txt was retained"
    );

    t.install(&appspec, FileExistsBehavior::Overwrite, &t.record())
        .unwrap();
    assert_eq!(read(&t.at("/opt/b.txt")), "new");
    assert_eq!(mode("/opt/b.txt"), 0o600);
    assert_eq!(t.record(), ["/opt/a.txt", "/opt/b.txt"]);
}

#[test]
fn run_with_awkward_names() {
    let t = Target::new(&[("it's a $file `x`.txt", "q")]);
    let appspec = spec("version: 0.0\nos: linux\nfiles:\n  - source: \"it's a $file `x`.txt\"\n    destination: \"/opt/my app\"\n");
    t.install(&appspec, FileExistsBehavior::Disallow, &[])
        .unwrap();
    assert_eq!(read(&t.at("/opt/my app/it's a $file `x`.txt")), "q");
    assert_eq!(
        t.record(),
        ["/opt/", "/opt/my app/", "/opt/my app/it's a $file `x`.txt"]
    );
}

#[test]
fn run_a_permission_naming_a_file() {
    let t = Target::new(&[("bin/tool", "#!/bin/sh\n")]);
    let appspec = spec("version: 0.0\nos: linux\nfiles:\n  - source: bin/tool\n    destination: /usr/local/bin\npermissions:\n  - object: /usr/local/bin/tool\n    mode: 755\n");
    t.install(&appspec, FileExistsBehavior::Disallow, &[])
        .unwrap();
    let mode = fs::metadata(t.at("/usr/local/bin/tool"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);
}

#[test]
fn permission_types_are_respected() {
    // A hand-built permission without the `file` type.
    let mut appspec = spec("version: 0.0\nos: linux\nfiles:\n  - source: d\n    destination: /x\n");
    appspec.permissions = vec![Permission {
        object: "/x".into(),
        pattern: None,
        except: vec![],
        owner: None,
        group: None,
        mode: Some("700".into()),
        acls: vec![],
        context: None,
        r#type: vec![PermissionType::Directory],
    }];
    let got = script(&appspec, FileExistsBehavior::Overwrite, &["d/sub/f"], &[]).unwrap();
    let chmods: Vec<&String> = got.iter().filter(|l| l.contains("chmod")).collect();
    assert_eq!(
        chmods,
        ["if [ \"${made_1:-}\" = 1 ]; then chmod 700 '/x/sub'; fi"]
    );
}
