//! Failing commands: which phases run after a failure in each buildspec phase (AWS: INSTALL
//! and PRE_BUILD skip to FINALIZING; BUILD still runs POST_BUILD, then UPLOAD_ARTIFACTS;
//! POST_BUILD goes on to UPLOAD_ARTIFACTS), `on-failure: CONTINUE`, `finally`, a command that
//! ends the shell, and the COMMAND_EXECUTION_ERROR context.

use super::*;

const PHASES: [(&str, &str); 4] = [
    ("install", "INSTALL"),
    ("pre_build", "PRE_BUILD"),
    ("build", "BUILD"),
    ("post_build", "POST_BUILD"),
];

/// A buildspec whose every phase echoes `ran-<phase>`, except `failing`, which runs `cmd`
/// between two echoes and has a `finally`. POST_BUILD also reports whether the build is
/// succeeding.
fn failing_spec(failing: &str, cmd: &str) -> String {
    let mut spec = String::from("version: 0.2\nphases:\n");
    for (name, _) in PHASES {
        spec += &format!("  {name}:\n    commands:\n");
        if name == failing {
            spec += &format!(
                "      - echo before-{name}\n      - {cmd}\n      - echo never-{name}\n    \
                 finally:\n      - echo finally-{name}\n"
            );
        } else {
            spec += &format!("      - echo ran-{name}\n");
        }
        if name == "post_build" {
            spec += "      - echo succeeding=$CODEBUILD_BUILD_SUCCEEDING\n";
        }
    }
    spec
}

fn completed(mut phases: Vec<String>) -> Vec<String> {
    phases.push("COMPLETED".into());
    phases
}

#[tokio::test]
async fn a_failing_command_routes_the_phases_as_aws_does() {
    let cases: [(&str, &str, i64, &[&str]); 5] = [
        (
            "install",
            "fail-with 3",
            3,
            &["INSTALL FAILED", "FINALIZING SUCCEEDED"],
        ),
        (
            "pre_build",
            "false",
            1,
            &[
                "INSTALL SUCCEEDED",
                "PRE_BUILD FAILED",
                "FINALIZING SUCCEEDED",
            ],
        ),
        (
            "build",
            "fail-with 3",
            3,
            &[
                "INSTALL SUCCEEDED",
                "PRE_BUILD SUCCEEDED",
                "BUILD FAILED",
                "POST_BUILD SUCCEEDED",
                "UPLOAD_ARTIFACTS SUCCEEDED",
                "FINALIZING SUCCEEDED",
            ],
        ),
        (
            "build",
            "make all",
            127,
            &[
                "INSTALL SUCCEEDED",
                "PRE_BUILD SUCCEEDED",
                "BUILD FAILED",
                "POST_BUILD SUCCEEDED",
                "UPLOAD_ARTIFACTS SUCCEEDED",
                "FINALIZING SUCCEEDED",
            ],
        ),
        (
            "post_build",
            "fail-with 5",
            5,
            &[
                "INSTALL SUCCEEDED",
                "PRE_BUILD SUCCEEDED",
                "BUILD SUCCEEDED",
                "POST_BUILD FAILED",
                "UPLOAD_ARTIFACTS SUCCEEDED",
                "FINALIZING SUCCEEDED",
            ],
        ),
    ];
    for (failing, cmd, code, rest) in cases {
        let mut h = Harness::new();
        let project = format!("fails-in-{}", failing.replace('_', "-"));
        let b = h.run(&project, &failing_spec(failing, cmd)).await;
        let phase = PHASES.iter().find(|p| p.0 == failing).unwrap().1;
        let case = format!("{cmd} in {phase}");

        assert_eq!(b.build_status, "FAILED", "{case}");
        assert_eq!(phases(&b), completed(walk(rest)), "{case}");
        let message = format!("Error while executing command: {cmd}. Reason: exit status {code}");
        assert_eq!(
            context(&b, phase),
            ("COMMAND_EXECUTION_ERROR".into(), message.clone()),
            "{case}"
        );
        // The failing phase stops at the failing command; its `finally` still runs.
        let commands = h.fake.commands();
        assert!(
            commands.contains(&format!("echo finally-{failing}")),
            "{case}"
        );
        assert!(!commands.iter().any(|c| c.contains("never-")), "{case}");
        // Skipped phases ran nothing.
        for (name, upper) in PHASES {
            let ran = commands.contains(&format!("echo ran-{name}"));
            let listed = rest.iter().any(|r| r.starts_with(&format!("{upper} ")));
            assert_eq!(ran, listed && name != failing, "{case}: {name}");
        }
        let log = h.log(&b);
        assert!(agent_lines(&log).contains(&format!(
            "Phase context status code: COMMAND_EXECUTION_ERROR Message: {message}"
        )));
        if failing == "build" {
            // POST_BUILD after a failed BUILD sees CODEBUILD_BUILD_SUCCEEDING=0.
            assert!(
                log.contains(&"succeeding=0".to_string()),
                "{case}: {log:#?}"
            );
        }
        assert!(!log.iter().any(|l| l.contains("sh: :")), "{case}: {log:#?}");
        if cmd == "make all" {
            assert!(log.contains(&"sh: make: not found".to_string()), "{log:#?}");
        }
        assert!(h.fake.live_containers().is_empty(), "{case}");

        let events = h.events(&b.arn);
        let failed = events
            .iter()
            .find(|e| e.detail["completed-phase"] == phase)
            .unwrap();
        assert_eq!(failed.detail["completed-phase-status"], "FAILED");
        assert_eq!(
            failed.detail["completed-phase-context"],
            format!("[COMMAND_EXECUTION_ERROR: {message}]").as_str()
        );
        let last = events.last().unwrap();
        assert_eq!(last.detail_type, "CodeBuild Build State Change");
        assert_eq!(last.detail["build-status"], "FAILED");
    }
}

const CONTINUES: &str = r#"version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands:
      - false
      - echo never
  pre_build:
    on-failure: CONTINUE
    commands:
      - fail-with 2
  build:
    commands:
      - echo built
  post_build:
    commands:
      - echo succeeding=$CODEBUILD_BUILD_SUCCEEDING
"#;

#[tokio::test]
async fn on_failure_continue_moves_on_to_the_next_phase() {
    let h = Harness::new();
    let b = h.run("continues", CONTINUES).await;

    assert_eq!(b.build_status, "FAILED");
    assert_eq!(
        phases(&b),
        completed(walk(&[
            "INSTALL FAILED",
            "PRE_BUILD FAILED",
            "BUILD SUCCEEDED",
            "POST_BUILD SUCCEEDED",
            "UPLOAD_ARTIFACTS SUCCEEDED",
            "FINALIZING SUCCEEDED",
        ]))
    );
    assert_eq!(
        context(&b, "INSTALL").1,
        "Error while executing command: false. Reason: exit status 1"
    );
    assert_eq!(
        context(&b, "PRE_BUILD").1,
        "Error while executing command: fail-with 2. Reason: exit status 2"
    );
    let log = h.log(&b);
    assert!(log.contains(&"built".to_string()));
    // Earlier phases failed: POST_BUILD is told the build is not succeeding.
    assert!(log.contains(&"succeeding=0".to_string()), "{log:#?}");
    assert!(!h.fake.commands().contains(&"echo never".to_string()));
}

const FINALLY_FAILS: &str = r#"version: 0.2
phases:
  build:
    commands:
      - echo ok
    finally:
      - fail-with 6
      - echo cleanup
"#;

#[tokio::test]
async fn a_failing_finally_command_fails_a_phase_whose_commands_passed() {
    let h = Harness::new();
    let b = h.run("finally-fails", FINALLY_FAILS).await;

    assert_eq!(b.build_status, "FAILED");
    assert_eq!(
        context(&b, "BUILD"),
        (
            "COMMAND_EXECUTION_ERROR".into(),
            "Error while executing command: fail-with 6. Reason: exit status 6".into()
        )
    );
    // Every `finally` command runs, whatever the ones before it did.
    assert!(h.fake.commands().contains(&"echo cleanup".to_string()));
}

const EXITS: &str = r#"version: 0.2
env:
  variables:
    GREETING: hi
phases:
  install:
    on-failure: CONTINUE
    commands:
      - export KEPT=yes
      - exit 4
  build:
    commands:
      - echo "kept=$KEPT greeting=$GREETING src=$CODEBUILD_SRC_DIR"
"#;

#[tokio::test]
async fn a_command_that_ends_the_shell_leaves_the_next_phases_a_new_session() {
    let h = Harness::new();
    let b = h.run("exits", EXITS).await;

    assert_eq!(b.build_status, "FAILED");
    assert_eq!(
        context(&b, "INSTALL").1,
        "Error while executing command: exit 4. Reason: exit status 4"
    );
    assert_eq!(context(&b, "BUILD").0, "");
    let log = h.log(&b);
    assert!(agent_lines(&log)
        .iter()
        .any(|l| l.starts_with("The shell session ended; the next commands run in a new one")));
    // The new session starts in the source directory with the build's variables again, but
    // what the old one exported is gone.
    let line = log
        .iter()
        .find(|l| l.starts_with("kept="))
        .expect("the build phase ran");
    let src = line.split("src=").nth(1).unwrap();
    assert!(line.starts_with("kept= greeting=hi src=/codebuild/output/src"));
    assert!(src.ends_with("/src"), "{line}");
}

const EXITS_IN_BUILD: &str = r#"version: 0.2
phases:
  build:
    commands:
      - exit 3
  post_build:
    commands:
      - echo succeeding=$CODEBUILD_BUILD_SUCCEEDING
"#;

#[tokio::test]
async fn post_build_after_a_build_that_ended_the_shell_is_told_it_failed() {
    let h = Harness::new();
    let b = h.run("exits-in-build", EXITS_IN_BUILD).await;

    assert_eq!(context(&b, "BUILD").0, "COMMAND_EXECUTION_ERROR");
    let log = h.log(&b);
    assert!(log.contains(&"succeeding=0".to_string()), "{log:#?}");
}
