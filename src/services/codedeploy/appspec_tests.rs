use super::*;

fn ok(text: &str) -> AppSpec {
    match parse(text) {
        Ok(spec) => spec,
        Err(e) => panic!("expected a valid appspec, got: {}", e.message),
    }
}

fn bad(text: &str) -> String {
    match parse(text) {
        Ok(spec) => panic!("expected an error, got {spec:?}"),
        Err(e) => e.message,
    }
}

const FULL: &str = r#"
version: 0.0
os: linux
files:
  - source: /
    destination: /var/www/html
  - source: config/app.conf
    destination: /etc/myapp
permissions:
  - object: /var/www/html
    pattern: "*.sh"
    except: [keep.sh]
    owner: www-data
    group: www-data
    mode: 755
    type:
      - file
hooks:
  BeforeInstall:
    - location: scripts/install_deps.sh
      timeout: 300
      runas: root
  ApplicationStart:
    - location: scripts/start.sh
    - location: scripts/warm.sh
      timeout: 60
  ValidateService:
    - location: scripts/check.sh
file_exists_behavior: OVERWRITE
"#;

#[test]
fn a_full_appspec() {
    let spec = ok(FULL);
    assert_eq!(spec.version, "0.0");
    assert_eq!(spec.os, Os::Linux);
    assert_eq!(
        spec.files,
        [
            FileMapping {
                source: "/".into(),
                destination: "/var/www/html".into()
            },
            FileMapping {
                source: "config/app.conf".into(),
                destination: "/etc/myapp".into()
            }
        ]
    );
    assert_eq!(
        spec.permissions,
        [Permission {
            object: "/var/www/html".into(),
            pattern: Some("*.sh".into()),
            except: vec!["keep.sh".into()],
            owner: Some("www-data".into()),
            group: Some("www-data".into()),
            mode: Some("755".into()),
            acls: vec![],
            context: None,
            r#type: vec![PermissionType::File],
        }]
    );
    let events: Vec<_> = spec.hooks.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        events,
        ["BeforeInstall", "ApplicationStart", "ValidateService"]
    );
    assert_eq!(
        spec.hooks_for(LifecycleEvent::BeforeInstall),
        [Hook {
            location: "scripts/install_deps.sh".into(),
            timeout_seconds: 300,
            runas: Some("root".into())
        }]
    );
    let start = spec.hooks_for(LifecycleEvent::ApplicationStart);
    assert_eq!(start.len(), 2);
    assert_eq!(start[0].timeout_seconds, 3600, "the default timeout");
    assert_eq!(start[0].runas, None);
    assert_eq!(start[1].timeout_seconds, 60);
    assert!(spec.hooks_for(LifecycleEvent::AfterInstall).is_empty());
    assert_eq!(spec.file_exists_behavior.as_deref(), Some("OVERWRITE"));
}

#[test]
fn the_smallest_appspec() {
    let spec = ok("version: 0.0\nos: linux\n");
    assert!(spec.files.is_empty() && spec.hooks.is_empty() && spec.permissions.is_empty());
    assert_eq!(spec.file_exists_behavior, None);
    // Empty sections are fine.
    let spec = ok("version: 0.0\nos: linux\nfiles:\nhooks:\npermissions:\n");
    assert!(spec.files.is_empty() && spec.hooks.is_empty());
    // An event with no scripts.
    let spec = ok("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n");
    assert_eq!(spec.hooks, [(LifecycleEvent::AfterInstall, vec![])]);
}

#[test]
fn json_appspecs_parse() {
    let spec = ok(r#"{
        "version": 0.0,
        "os": "linux",
        "files": [{"source": "app", "destination": "/opt/app"}],
        "hooks": {"AfterInstall": [{"location": "s.sh", "timeout": 10, "runas": "app"}]}
    }"#);
    assert_eq!(spec.files[0].destination, "/opt/app");
    assert_eq!(
        spec.hooks_for(LifecycleEvent::AfterInstall)[0],
        Hook {
            location: "s.sh".into(),
            timeout_seconds: 10,
            runas: Some("app".into())
        }
    );
}

#[test]
fn version_must_be_the_number_zero() {
    for v in ["0.0", "0", "0.00"] {
        assert_eq!(ok(&format!("version: {v}\nos: linux")).version, "0.0");
    }
    assert_eq!(
        bad("os: linux\n"),
        "The deployment failed because an invalid version value () was entered in the application specification file. Make sure your AppSpec file specifies \"0.0\" as the version, and then try again."
    );
    assert!(bad("version: 0.1\nos: linux").contains("invalid version value (0.1)"));
    assert!(bad("version: 1.0\nos: linux").contains("invalid version value (1.0)"));
    assert!(bad("version:\nos: linux").contains("invalid version value ()"));
    // The agent compares with the float 0.0, so a string is refused; we say why.
    let quoted = bad("version: \"0.0\"\nos: linux");
    assert!(quoted.contains("invalid version value (0.0)"), "{quoted}");
    assert!(quoted.contains("without quotes"), "{quoted}");
    assert!(bad("version: [0.0]\nos: linux").contains("invalid version value (a list)"));
}

#[test]
fn the_version_is_checked_before_anything_else() {
    let msg = bad("version: 2\nos: solaris\nhooks:\n  Nope: []\n");
    assert!(msg.contains("invalid version value (2)"), "{msg}");
}

#[test]
fn os_must_be_linux_or_windows() {
    assert_eq!(ok("version: 0.0\nos: windows").os, Os::Windows);
    assert_eq!(ok("version: 0.0\nos: 'linux'").os, Os::Linux);
    assert_eq!(
        bad("version: 0.0\nos: Linux"),
        "The deployment failed because the application specification file specifies an unsupported operating system (Linux). Specify either \"linux\" or \"windows\" in the os section of the AppSpec file, and then try again."
    );
    assert!(bad("version: 0.0").contains("unsupported operating system ()"));
    let msg = bad("version: 0.0\nos: [linux]");
    assert!(msg.contains("os in the application specification file must be a single value, but a list was found at line 2"), "{msg}");
}

#[test]
fn lambda_and_ecs_appspecs_are_not_supported_yet() {
    let msg = bad(
        "version: 0.0\nResources:\n  - myFunction:\n      Type: AWS::Lambda::Function\nHooks:\n  - BeforeAllowTraffic: fn\n",
    );
    assert!(msg.contains("has a Resources section (line 2)"), "{msg}");
    assert!(msg.contains("AWS Lambda and Amazon ECS"), "{msg}");
    assert!(msg.contains("EC2/On-premises"), "{msg}");
    let msg = bad("version: 0.0\nos: linux\nresources: []\n");
    assert!(msg.contains("has a resources section (line 3)"), "{msg}");
}

#[test]
fn hook_names_are_checked() {
    let msg = bad("version: 0.0\nos: linux\nhooks:\n  BeforeInstal:\n    - location: a.sh\n");
    assert!(
        msg.starts_with("The deployment failed because the application specification file specifies an unknown lifecycle event (BeforeInstal) at line 4. Scripts can run in BeforeBlockTraffic, AfterBlockTraffic, ApplicationStop, BeforeInstall, AfterInstall, ApplicationStart, ValidateService, BeforeAllowTraffic, AfterAllowTraffic."),
        "{msg}"
    );
    assert!(msg.ends_with("Update the hooks section of the AppSpec file, and then try again."));
    // Names are case-sensitive.
    assert!(
        bad("version: 0.0\nos: linux\nhooks:\n  applicationstart: []\n")
            .contains("unknown lifecycle event (applicationstart)")
    );
    for reserved in ["DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"] {
        let msg = bad(&format!(
            "version: 0.0\nos: linux\nhooks:\n  {reserved}:\n    - location: a.sh\n"
        ));
        assert!(
            msg.contains(&format!(
                "scripts for the {reserved} lifecycle event at line 4, which CodeDeploy reserves"
            )),
            "{msg}"
        );
    }
}

#[test]
fn every_scriptable_event_is_accepted() {
    let mut text = String::from("version: 0.0\nos: linux\nhooks:\n");
    let scriptable: Vec<_> = LifecycleEvent::ALL
        .into_iter()
        .filter(|e| !e.is_reserved())
        .collect();
    for e in &scriptable {
        text.push_str(&format!(
            "  {}:\n    - location: {}.sh\n",
            e.as_str(),
            e.as_str()
        ));
    }
    let spec = ok(&text);
    let events: Vec<_> = spec.hooks.iter().map(|(e, _)| *e).collect();
    assert_eq!(events, scriptable);
    assert_eq!(scriptable.len(), 9);
}

#[test]
fn hook_scripts_need_a_location() {
    let expected = "The deployment failed because the application specification file specifies a script with no location value. Specify the location in the hooks section of the AppSpec file, and then try again.";
    assert_eq!(
        bad("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - timeout: 5\n"),
        expected
    );
    assert_eq!(
        bad("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: '  '\n"),
        expected
    );
    // Locations and runas are trimmed, as the agent trims them.
    let spec = ok("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: ' a.sh '\n      runas: ' app '\n");
    let hook = &spec.hooks_for(LifecycleEvent::AfterInstall)[0];
    assert_eq!(
        (hook.location.as_str(), hook.runas.as_deref()),
        ("a.sh", Some("app"))
    );
}

#[test]
fn hook_scripts_must_be_a_list_of_mappings() {
    let msg = bad("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    location: a.sh\n");
    assert!(
        msg.contains("the hooks.AfterInstall entry in the application specification file must be a list, but a mapping was found at line 5"),
        "{msg}"
    );
    let msg = bad("version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - a.sh\n");
    assert!(
        msg.contains("must be a mapping, but a single value was found at line 5"),
        "{msg}"
    );
    let msg = bad("version: 0.0\nos: linux\nhooks: [a]\n");
    assert!(
        msg.contains("the hooks section in the application specification file must be a mapping"),
        "{msg}"
    );
}

#[test]
fn hook_timeouts() {
    let timeout_of = |t: &str| {
        parse(&format!(
            "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n      timeout: {t}\n"
        ))
        .map(|s| s.hooks[0].1[0].timeout_seconds)
        .map_err(|e| e.message)
    };
    assert_eq!(timeout_of("1"), Ok(1));
    assert_eq!(timeout_of("3600"), Ok(3600));
    assert_eq!(timeout_of("'120'"), Ok(120));
    assert_eq!(timeout_of("90.7"), Ok(90));
    assert_eq!(timeout_of("~"), Ok(3600));
    let too_long = timeout_of("3601").unwrap_err();
    assert!(
        too_long.contains(
            "script timeout (3601) at line 6 that is longer than the maximum of 3600 seconds"
        ),
        "{too_long}"
    );
    for invalid in ["0", "-5", "abc", "0.5"] {
        let msg = timeout_of(invalid).unwrap_err();
        assert!(
            msg.starts_with("The deployment failed because an invalid timeout value was provided for a script in the application specification file (line 6)."),
            "{invalid}: {msg}"
        );
    }
}

#[test]
fn files_need_source_and_destination() {
    assert_eq!(
        bad("version: 0.0\nos: linux\nfiles:\n  - destination: /opt\n"),
        "The deployment failed because the application specification file specifies a destination file, but no source file. Update the files section of the AppSpec file, and then try again."
    );
    assert_eq!(
        bad("version: 0.0\nos: linux\nfiles:\n  - source: app\n"),
        "The deployment failed because the application specification file specifies only a source file (app). Add the name of the destination file to the files section of the AppSpec file, and then try again."
    );
    let msg = bad("version: 0.0\nos: linux\nfiles:\n  source: app\n  destination: /opt\n");
    assert!(msg.contains("the files section in the application specification file must be a list, but a mapping was found at line 4"), "{msg}");
}

#[test]
fn file_paths_are_checked() {
    let msg = bad("version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: opt/app\n");
    assert!(
        msg.contains("specifies a destination (opt/app) that is not an absolute path"),
        "{msg}"
    );
    assert!(msg.ends_with("(line 4)"), "{msg}");
    let msg = bad("version: 0.0\nos: linux\nfiles:\n  - source: ../etc\n    destination: /opt\n");
    assert!(
        msg.contains("specifies a source (../etc) that contains a '..' path component"),
        "{msg}"
    );
    let msg =
        bad("version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /opt/../etc\n");
    assert!(
        msg.contains("destination (/opt/../etc) that contains a '..'"),
        "{msg}"
    );
    // `..` inside a name is not a parent component.
    ok("version: 0.0\nos: linux\nfiles:\n  - source: a..b\n    destination: /opt/x..y\n");
}

#[test]
fn permissions_defaults_and_rules() {
    let spec = ok("version: 0.0\nos: linux\npermissions:\n  - object: /opt/app\n    pattern: '**'\n    mode: 44\n");
    let p = &spec.permissions[0];
    assert_eq!(p.pattern, None, "** is the default pattern");
    assert_eq!(p.mode.as_deref(), Some("044"), "padded to three digits");
    assert_eq!(p.r#type, [PermissionType::File, PermissionType::Directory]);
    assert!(p.except.is_empty() && p.acls.is_empty() && p.owner.is_none());

    let spec = ok("version: 0.0\nos: linux\npermissions:\n  - object: /opt\n    type: directory\n    except: a*\n    mode: 4755\n    acls:\n      - u:bob:rw\n    context:\n      name: unconfined_u\n      type: httpd_sys_content_t\n      range: s0\n");
    let p = &spec.permissions[0];
    assert_eq!(p.r#type, [PermissionType::Directory]);
    assert_eq!(p.except, ["a*"]);
    assert_eq!(p.mode.as_deref(), Some("4755"));
    assert_eq!(p.acls, ["u:bob:rw"]);
    assert_eq!(
        p.context,
        Some(SeLinuxContext {
            name: Some("unconfined_u".into()),
            r#type: "httpd_sys_content_t".into(),
            range: Some("s0".into())
        })
    );

    assert_eq!(
        bad("version: 0.0\nos: linux\npermissions:\n  - owner: bob\n"),
        "The deployment failed because a permission listed in the application specification file has no object value. Update the permissions section of the AppSpec file, and then try again."
    );
    assert!(
        bad("version: 0.0\nos: linux\npermissions:\n  - object: /a\n    type: [link]\n")
            .contains("an object type not supported for permissions (link)")
    );
    assert!(
        bad("version: 0.0\nos: linux\npermissions:\n  - object: /a\n    mode: 75512\n")
            .contains("the length of a permissions mode (75512)")
    );
    assert!(bad("version: 0.0\nos: linux\npermissions:\n  - object: /a\n    mode: 758\n")
        .contains("permissions mode (758) in the application specification file contains an invalid character (8)"));
    assert!(bad(
        "version: 0.0\nos: linux\npermissions:\n  - object: /a\n    context:\n      name: u\n"
    )
    .contains("an invalid context type (line 6)"));
    assert!(
        bad("version: 0.0\nos: windows\npermissions:\n  - object: C:\\app\n")
            .contains("targeting one or more Windows Server instances")
    );
}

#[test]
fn file_exists_behavior_values() {
    for v in ["DISALLOW", "OVERWRITE", "RETAIN"] {
        let spec = ok(&format!(
            "version: 0.0\nos: linux\nfile_exists_behavior: {v}\n"
        ));
        assert_eq!(spec.file_exists_behavior.as_deref(), Some(v));
    }
    assert_eq!(
        bad("version: 0.0\nos: linux\nfile_exists_behavior: overwrite\n"),
        "The deployment failed because an invalid option was specified for fileExistsBehavior: overwrite. Valid options include OVERWRITE, RETAIN, and DISALLOW."
    );
}

#[test]
fn syntax_errors_name_the_line() {
    let msg = bad(
        "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: a.sh\n   timeout: [\n",
    );
    assert!(msg.starts_with("The deployment failed because the application specification file is not valid YAML or JSON: "), "{msg}");
    assert!(msg.contains("at line 6, column"), "{msg}");
    let msg = bad("{\"version\": 0.0, \"os\": \"linux\",\n \"files\": [}\n");
    assert!(msg.contains("at line 2"), "{msg}");
    let msg = bad("version: 0.0\n\tos: linux\n");
    assert!(msg.contains("not valid YAML or JSON"), "{msg}");
}

#[test]
fn empty_and_non_mapping_documents() {
    assert!(bad("").contains("invalid version value ()"));
    assert!(bad("# only a comment\n").contains("invalid version value ()"));
    let msg = bad("- version: 0.0\n");
    assert!(msg.contains("must be a mapping of sections"), "{msg}");
    assert!(msg.contains("a list was found at line 1"), "{msg}");
}

#[test]
fn unknown_keys_are_ignored_and_repeated_keys_keep_the_last_value() {
    let spec = ok("version: 0.0\nos: windows\nos: linux\nextra: 1\nhooks:\n  AfterInstall:\n    - location: a.sh\n      sudo: true\n");
    assert_eq!(spec.os, Os::Linux);
    assert_eq!(spec.hooks.len(), 1);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let spec = ok(r#"
version: 0.0
os: linux
hooks:
  BeforeInstall:
    - &base
      location: scripts/a.sh
      timeout: 30
  AfterInstall:
    - <<: *base
      location: scripts/b.sh
  ApplicationStart: *x
"#
    .replace("*x", "[*base]")
    .as_str());
    let after = &spec.hooks_for(LifecycleEvent::AfterInstall)[0];
    assert_eq!(
        (after.location.as_str(), after.timeout_seconds),
        ("scripts/b.sh", 30)
    );
    assert_eq!(
        spec.hooks_for(LifecycleEvent::ApplicationStart)[0].location,
        "scripts/a.sh"
    );
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused() {
    let mut text =
        String::from("version: 0.0\nos: linux\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    assert!(bad(&text).contains("expands to more than 200000 YAML nodes"));
    let deep = format!(
        "version: 0.0\nos: linux\nx: {}{}\n",
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(bad(&deep).contains("nests more than 64 levels deep"));
}

#[test]
fn a_byte_order_mark_is_skipped() {
    ok("\u{feff}version: 0.0\nos: linux\n");
}

#[test]
fn only_the_first_document_counts() {
    let spec = ok("version: 0.0\nos: linux\n---\nversion: 9\n");
    assert_eq!(spec.version, "0.0");
}

#[test]
fn lifecycle_event_orders() {
    let names = |events: &[LifecycleEvent]| events.iter().map(|e| e.as_str()).collect::<Vec<_>>();
    assert_eq!(
        names(server_in_place_order()),
        [
            "ApplicationStop",
            "DownloadBundle",
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService"
        ]
    );
    let all = names(server_in_place_order_with_traffic());
    assert_eq!(all.len(), 13);
    assert_eq!(
        &all[..3],
        ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
    );
    assert_eq!(
        &all[10..],
        ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    );
    // The derived order is the run order.
    let mut sorted = LifecycleEvent::ALL;
    sorted.sort();
    assert_eq!(sorted, LifecycleEvent::ALL);
    for e in LifecycleEvent::ALL {
        assert_eq!(LifecycleEvent::from_name(e.as_str()), Some(e));
    }
    assert_eq!(LifecycleEvent::from_name("install"), None);
}
