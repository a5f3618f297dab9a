//! Unit tests of the buildspec parser.

use super::*;

fn parse_ok(text: &str) -> BuildSpec {
    parse(text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn parse_err(text: &str) -> String {
    match parse(text) {
        Ok(spec) => panic!("expected an error, got {spec:?}"),
        Err(e) => e.message,
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const FULL: &str = r#"version: 0.2
run-as: builder
env:
  shell: bash
  variables:
    STAGE: "prod"
    RETRIES: 3
    RATIO: 1.50
    DEBUG: yes
    EMPTY:
  parameter-store:
    DB_PASSWORD: /app/db/password
  secrets-manager:
    TOKEN: "prod/token:api:AWSCURRENT"
  exported-variables:
    - IMAGE_TAG
    - STAGE
  git-credential-helper: yes
phases:
  install:
    runtime-versions:
      python: 3.10
      nodejs: latest
    commands:
      - pip install -r requirements.txt
  pre_build:
    run-as: root
    on-failure: CONTINUE
    commands:
      - echo pre
  build:
    on-failure: ABORT
    commands:
      - make build
      - 'echo "a: b"'
      - 42
      - |
        for f in *.txt; do
          echo $f
        done
    finally:
      - echo done
  post_build:
    commands: echo single
reports:
  unit-tests:
    files: ['**/*.xml']
    file-format: JUNITXML
  arn:aws:codebuild:us-east-1:123456789012:report-group/it:
    files: ['it/*.xml']
artifacts:
  files:
    - '**/*'
  name: app-$(date +%s)
  base-directory: dist
  discard-paths: no
  exclude-paths: ['**/*.map', tmp/*]
  enable-symlinks: on
  s3-prefix: builds
  secondary-artifacts:
    Docs:
      files: docs/**/*
      discard-paths: true
    Image:
      files:
        - imagedefinitions.json
      base-directory: out
cache:
  paths:
    - '/root/.m2/**/*'
"#;

#[test]
fn full_buildspec() {
    let spec = parse_ok(FULL);
    assert_eq!(spec.version, "0.2");
    assert!(!spec.separate_shells());
    assert_eq!(spec.run_as.as_deref(), Some("builder"));

    let env = &spec.env;
    assert_eq!(env.shell.as_deref(), Some("bash"));
    assert_eq!(
        env.variables,
        pairs(&[
            ("STAGE", "prod"),
            ("RETRIES", "3"),
            ("RATIO", "1.50"),
            ("DEBUG", "yes"),
            ("EMPTY", "")
        ])
    );
    assert_eq!(
        env.parameter_store,
        pairs(&[("DB_PASSWORD", "/app/db/password")])
    );
    assert_eq!(
        env.secrets_manager,
        pairs(&[("TOKEN", "prod/token:api:AWSCURRENT")])
    );
    assert_eq!(env.exported_variables, strings(&["IMAGE_TAG", "STAGE"]));
    assert!(env.git_credential_helper);

    let install = spec.phases.install.as_ref().unwrap();
    assert_eq!(
        install.runtime_versions,
        pairs(&[("python", "3.10"), ("nodejs", "latest")])
    );
    assert_eq!(
        install.commands,
        strings(&["pip install -r requirements.txt"])
    );
    assert_eq!(install.on_failure, OnFailure::Abort);

    let pre = spec.phases.pre_build.as_ref().unwrap();
    assert_eq!(pre.run_as.as_deref(), Some("root"));
    assert_eq!(pre.on_failure, OnFailure::Continue);

    let build = spec.phases.build.as_ref().unwrap();
    assert_eq!(build.on_failure, OnFailure::Abort);
    assert_eq!(
        build.commands,
        strings(&[
            "make build",
            "echo \"a: b\"",
            "42",
            "for f in *.txt; do\n  echo $f\ndone\n"
        ])
    );
    assert_eq!(build.finally, strings(&["echo done"]));
    assert_eq!(
        spec.phases.post_build.as_ref().unwrap().commands,
        strings(&["echo single"])
    );
    assert_eq!(spec.phase("build"), spec.phases.build.as_ref());
    assert!(spec.phase("pre-build").is_none());
    let order: Vec<&str> = spec.phases.in_order().iter().map(|(n, _)| *n).collect();
    assert_eq!(order, PHASE_NAMES);

    assert_eq!(
        spec.reports,
        strings(&[
            "unit-tests",
            "arn:aws:codebuild:us-east-1:123456789012:report-group/it"
        ])
    );

    let art = spec.artifacts.as_ref().unwrap();
    assert_eq!(art.files, strings(&["**/*"]));
    assert_eq!(art.name.as_deref(), Some("app-$(date +%s)"));
    assert_eq!(art.base_directory.as_deref(), Some("dist"));
    assert!(!art.discard_paths);
    assert_eq!(art.exclude_paths, strings(&["**/*.map", "tmp/*"]));
    assert!(art.enable_symlinks);
    assert_eq!(art.s3_prefix.as_deref(), Some("builds"));
    assert_eq!(art.secondary.len(), 2);
    let docs = art.secondary("Docs").unwrap();
    assert_eq!(docs.files, strings(&["docs/**/*"]));
    assert!(docs.discard_paths);
    let image = art.secondary("Image").unwrap();
    assert_eq!(image.base_directory.as_deref(), Some("out"));
    assert!(art.secondary("Missing").is_none());

    assert_eq!(spec.cache_paths, strings(&["/root/.m2/**/*"]));
    assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
    assert!(spec.notes.is_empty(), "{:?}", spec.notes);
}

#[test]
fn minimal_buildspec_and_version_forms() {
    for text in [
        "version: 0.2",
        "version: \"0.2\"",
        "version: '0.20'",
        "\u{feff}version: 0.2\n",
        "version: 0.2\nphases:\n",
    ] {
        let spec = parse_ok(text);
        assert_eq!(spec.version, "0.2");
        assert!(spec.phases.in_order().iter().all(|(_, p)| p.is_none()));
        assert!(spec.artifacts.is_none());
    }
    let old = parse_ok("version: 0.1\nphases:\n  build:\n    commands: [cd x, make]\n");
    assert_eq!(old.version, "0.1");
    assert!(old.separate_shells());
    assert!(
        old.notes.iter().any(|n| n.contains("own shell")),
        "{:?}",
        old.notes
    );
}

#[test]
fn empty_phase_and_commands_are_allowed() {
    let spec = parse_ok("version: 0.2\nphases:\n  build:\n  post_build:\n    commands:\n");
    assert_eq!(spec.phases.build, Some(Phase::default()));
    assert_eq!(spec.phases.post_build, Some(Phase::default()));
}

#[test]
fn yes_no_booleans() {
    for (word, want) in [
        ("yes", true),
        ("Yes", true),
        ("on", true),
        ("true", true),
        ("TRUE", true),
        ("y", true),
        ("no", false),
        ("No", false),
        ("off", false),
        ("false", false),
        ("n", false),
        ("\"yes\"", true),
        ("", false),
    ] {
        let text = format!("version: 0.2\nenv:\n  git-credential-helper: {word}\nartifacts:\n  files: [a]\n  discard-paths: {word}\n  enable-symlinks: {word}\n");
        let spec = parse_ok(&text);
        assert_eq!(spec.env.git_credential_helper, want, "{word}");
        let art = spec.artifacts.unwrap();
        assert_eq!(
            (art.discard_paths, art.enable_symlinks),
            (want, want),
            "{word}"
        );
    }
    let msg = parse_err("version: 0.2\nartifacts:\n  files: [a]\n  discard-paths: maybe\n");
    assert_eq!(
        msg,
        "invalid value \"maybe\" for artifacts.discard-paths at line 4: expected yes, no, true or false"
    );
}

#[test]
fn variable_values_keep_their_text() {
    let spec = parse_ok(
        "version: 0.2\nenv:\n  variables:\n    A: 007\n    B: 1e3\n    C: false\n    D: 0x1F\n    E: ~\n    F: 'quoted: yes'\n",
    );
    assert_eq!(
        spec.env.variables,
        pairs(&[
            ("A", "007"),
            ("B", "1e3"),
            ("C", "false"),
            ("D", "0x1F"),
            ("E", ""),
            ("F", "quoted: yes")
        ])
    );
    let msg = parse_err("version: 0.2\nenv:\n  variables:\n    A:\n      nested: 1\n");
    assert_eq!(
        msg,
        "Expected env.variables.A to be of string type: found subkeys instead at line 5"
    );
}

#[test]
fn unknown_keys_become_warnings() {
    let spec = parse_ok(
        "version: 0.2\nphase:\n  build: {}\nenv:\n  varables: {A: b}\nphases:\n  pre-build:\n    commands: [x]\n  build:\n    comands: [make]\nartifacts:\n  files: [a]\n  discard_paths: yes\n",
    );
    assert_eq!(
        spec.warnings,
        strings(&[
            "In the section buildspec: the key \"phase\" at line 2 cannot be identified",
            "In the section env: the key \"varables\" at line 5 cannot be identified",
            "In the section phases: the key \"pre-build\" at line 7 cannot be identified",
            "In the section phases.build: the key \"comands\" at line 10 cannot be identified",
            "In the section artifacts: the key \"discard_paths\" at line 13 cannot be identified",
        ])
    );
    // The misspelt phases are not run.
    assert!(spec.phases.pre_build.is_none());
    assert!(spec.phases.build.as_ref().unwrap().commands.is_empty());
}

#[test]
fn supported_elsewhere_sections_become_notes() {
    let spec = parse_ok(
        "version: 0.2\nbatch:\n  fast-fail: true\nproxy:\n  logs: yes\ncache:\n  key: k\n  paths: [a]\n",
    );
    assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
    assert_eq!(spec.notes.len(), 3, "{:?}", spec.notes);
    assert_eq!(spec.cache_paths, strings(&["a"]));
}

#[test]
fn duplicate_keys_warn_and_the_last_wins() {
    let spec = parse_ok("version: 0.2\nenv:\n  variables:\n    A: one\n    B: two\n    A: three\n");
    assert_eq!(spec.env.variables, pairs(&[("A", "three"), ("B", "two")]));
    assert_eq!(spec.warnings.len(), 1);
    assert!(
        spec.warnings[0].contains("\"A\" at line 6 is repeated"),
        "{:?}",
        spec.warnings
    );
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let spec = parse_ok(
        "version: 0.2\nx-common: &common\n  - echo shared\nvars: &vars\n  A: 1\nenv:\n  variables:\n    <<: *vars\n    B: 2\n    A: override\nphases:\n  build:\n    commands: *common\n",
    );
    assert_eq!(spec.env.variables, pairs(&[("B", "2"), ("A", "override")]));
    assert_eq!(
        spec.phases.build.unwrap().commands,
        strings(&["echo shared"])
    );
    assert_eq!(
        spec.warnings.len(),
        2,
        "x-common and vars are unknown: {:?}",
        spec.warnings
    );
}

#[test]
fn command_with_colon_space_is_the_aws_error() {
    // The line numbers AWS gives for this very buildspec.
    let text = "version: 0.2\n\nphases:\n  build:\n    commands:\n     - echo \"Hello: world\"\n";
    assert_eq!(
        parse_err(text),
        "Expected Commands[0] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty"
    );
    let err = parse(text).unwrap_err();
    assert!(err
        .to_string()
        .starts_with("YAML_FILE_ERROR: Expected Commands[0]"));
    let finally = "version: 0.2\nphases:\n  build:\n    commands: [a]\n    finally:\n      - ok\n      - rm x: y\n";
    assert!(parse_err(finally)
        .starts_with("Expected Finally[1] to be of string type: found subkeys instead at line 7"));
    let nested = "version: 0.2\nphases:\n  build:\n    commands:\n      - [a, b]\n";
    assert_eq!(
        parse_err(nested),
        "Expected Commands[0] to be of string type: found a list instead at line 5"
    );
}

#[test]
fn empty_command_items_are_skipped_with_a_warning() {
    let spec = parse_ok("version: 0.2\nphases:\n  build:\n    commands:\n      -\n      - make\n");
    assert_eq!(spec.phases.build.unwrap().commands, strings(&["make"]));
    assert_eq!(spec.warnings.len(), 1, "{:?}", spec.warnings);
}

#[test]
fn on_failure_values() {
    let msg = parse_err("version: 0.2\nphases:\n  build:\n    on-failure: abort\n");
    assert_eq!(
        msg,
        "invalid value \"abort\" for phases.build.on-failure at line 4: expected ABORT or CONTINUE"
    );
    assert!(
        parse_err("version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n").contains("RETRY")
    );
}

#[test]
fn version_errors() {
    assert_eq!(
        parse_err("phases:\n  build:\n    commands: [make]\n"),
        "missing version"
    );
    assert_eq!(parse_err("version:\n"), "missing version");
    assert_eq!(
        parse_err("version: 0.3\n"),
        "invalid buildspec version \"0.3\" at line 1: expected 0.1 or 0.2"
    );
    assert_eq!(
        parse_err("version: latest\n"),
        "invalid buildspec version \"latest\" at line 1: expected 0.1 or 0.2"
    );
    // The version is checked before anything else.
    assert_eq!(
        parse_err("phases:\n  build:\n    on-failure: nope\n"),
        "missing version"
    );
}

#[test]
fn empty_and_non_mapping_documents() {
    for text in ["", "   \n", "# only a comment\n", "---\n", "~\n"] {
        assert_eq!(parse_err(text), "the buildspec is empty", "{text:?}");
    }
    assert_eq!(
        parse_err("buildspec.yml\n"),
        "Expected the buildspec to be of map type: found a scalar instead at line 1"
    );
    assert_eq!(
        parse_err("- version: 0.2\n"),
        "Expected the buildspec to be of map type: found a list instead at line 1"
    );
}

#[test]
fn yaml_syntax_errors_carry_the_line() {
    assert_eq!(
        parse_err("version: 0.2\nphases:\n  build: x: y\n"),
        "mapping values are not allowed in this context at line 3"
    );
    let tabs = parse_err("version: 0.2\nphases:\n\tbuild:\n");
    assert!(tabs.ends_with("at line 3"), "{tabs}");
    let flow = parse_err("version: 0.2\nartifacts:\n  files: [a, b\n");
    assert!(flow.contains("at line"), "{flow}");
}

#[test]
fn artifacts_need_files() {
    assert_eq!(
        parse_err("version: 0.2\nartifacts:\n  name: x\n"),
        "missing artifacts.files at line 3"
    );
    assert_eq!(
        parse_err("version: 0.2\nartifacts:\n  files: []\n  name: x\n"),
        "missing artifacts.files at line 3"
    );
    assert_eq!(
        parse_err(
            "version: 0.2\nartifacts:\n  files: [a]\n  secondary-artifacts:\n    Out2:\n      name: x\n"
        ),
        "missing artifacts.secondary-artifacts.Out2.files at line 6"
    );
    assert_eq!(
        parse_err("version: 0.2\nartifacts:\n  files:\n    a: b\n"),
        "Expected artifacts.files to be of list type: found subkeys instead at line 4"
    );
    assert_eq!(
        parse_err("version: 0.2\nartifacts: everything\n"),
        "Expected artifacts to be of map type: found a scalar instead at line 2"
    );
}

#[test]
fn secondary_artifacts_do_not_nest() {
    let spec = parse_ok(
        "version: 0.2\nartifacts:\n  files: [a]\n  secondary-artifacts:\n    B:\n      files: [b]\n      secondary-artifacts: {}\n",
    );
    assert!(spec
        .artifacts
        .unwrap()
        .secondary("B")
        .unwrap()
        .secondary
        .is_empty());
    assert_eq!(spec.warnings.len(), 1, "{:?}", spec.warnings);
}

#[test]
fn type_errors_in_sections() {
    assert_eq!(
        parse_err("version: 0.2\nenv:\n  - a\n"),
        "Expected env to be of map type: found a list instead at line 3"
    );
    assert_eq!(
        parse_err("version: 0.2\nphases:\n  build:\n    - make\n"),
        "Expected phases.build to be of map type: found a list instead at line 4"
    );
    assert_eq!(
        parse_err("version: 0.2\nrun-as: [a]\n"),
        "Expected run-as to be of string type: found a list instead at line 2"
    );
}

#[test]
fn extra_documents_warn() {
    let spec = parse_ok("version: 0.2\n---\nversion: 0.1\n");
    assert_eq!(spec.version, "0.2");
    assert_eq!(spec.warnings.len(), 1);
}

#[test]
fn inline_or_path() {
    for inline in [
        "version: 0.2\nphases: {}",
        "version: 0.2",
        "{version: 0.2}",
        "version:",
        "  version: 0.2  ",
    ] {
        assert!(is_inline(inline), "{inline:?}");
    }
    for path in [
        "",
        "buildspec.yml",
        "ci/buildspec-test.yaml",
        "arn:aws:s3:::my-bucket/buildspec.yml",
        " buildspec.yml\n",
    ] {
        assert!(!is_inline(path), "{path:?}");
    }
}

#[test]
fn an_alias_bomb_is_refused_without_expanding_it() {
    let mut text = String::from("version: 0.2\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let e = parse(&text).unwrap_err();
    assert!(e.message.contains("expands to more than"), "{}", e.message);
}
