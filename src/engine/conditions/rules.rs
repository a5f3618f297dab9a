//! One rule's evaluation, as a pure function of its configuration (its `#{...}` references
//! already resolved) and the time.
//!
//! - `VariableCheck`: `Variable` compared with `Value` by `Operator`: `EQ`, `NE`, `CONTAINS`
//!   (substring), `MATCHES` (a regular expression that must match the whole value, as Java's
//!   `String.matches` does; simfra's expressions have Perl syntax without look-around or
//!   back-references, and an expression it cannot compile fails the rule).
//! - `DeploymentWindow`: succeeds inside a window (its schedule, time zone included, in
//!   `cron.rs`); outside one the rule stays in progress until the next window opens (the
//!   caller evaluates it again then), or fails when no window opens again.
//! - `Commands` is not evaluated here: its commands run as a build, which the condition actor
//!   starts (`commands.rs`).
//! - `LambdaInvoke`, `CloudWatchAlarm`: simfra does not run these yet; the rule fails and says
//!   so (the condition then engages as for any failed rule).

use crate::engine::small_map::SmallMap;
use chrono::{DateTime, Utc};

use super::cron::Schedule;

/// What one evaluation of a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Succeeded {
        summary: String,
    },
    Failed {
        summary: String,
        /// An error (configuration, unsupported provider), as opposed to a check that failed.
        error: Option<RuleError>,
    },
    /// Not decided yet: evaluate again at `at` (the rule stays in progress).
    WaitUntil {
        at: DateTime<Utc>,
        summary: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub code: &'static str,
    pub message: String,
}

fn config_error(message: String) -> Verdict {
    Verdict::Failed {
        summary: message.clone(),
        error: Some(RuleError {
            code: "ConfigurationError",
            message,
        }),
    }
}

/// Evaluates a rule of `provider` with its declared and resolved configuration at `now`.
pub fn evaluate(
    provider: &str,
    declared: &SmallMap<String>,
    resolved: &SmallMap<String>,
    now: DateTime<Utc>,
) -> Verdict {
    match provider {
        "VariableCheck" => variable_check(declared, resolved),
        "DeploymentWindow" => deployment_window(resolved, now),
        super::commands::PROVIDER => config_error(
            "A Commands rule is decided by running its commands as a build, not by evaluation"
                .into(),
        ),
        other => config_error(format!(
            "simfra does not support the {other} rule provider yet, so this rule fails"
        )),
    }
}

fn variable_check(declared: &SmallMap<String>, resolved: &SmallMap<String>) -> Verdict {
    let get = |k: &str| resolved.get(k).map(String::as_str);
    let (Some(variable), Some(value), Some(operator)) =
        (get("Variable"), get("Value"), get("Operator"))
    else {
        return config_error(
            "A VariableCheck rule needs Variable, Value and Operator in its configuration".into(),
        );
    };
    let name = declared
        .get("Variable")
        .map(String::as_str)
        .unwrap_or(variable);
    let (holds, relation, opposite) = match operator {
        "EQ" => (variable == value, "equal to", "not equal to"),
        "NE" => (variable != value, "not equal to", "equal to"),
        "CONTAINS" => (variable.contains(value), "containing", "not containing"),
        "MATCHES" => match regex_lite::Regex::new(&format!("^(?:{value})$")) {
            Ok(re) => (re.is_match(variable), "matching", "not matching"),
            Err(e) => {
                return config_error(format!(
                    "The Value of a MATCHES rule is not a regular expression simfra can use: {e}"
                ))
            }
        },
        other => {
            return config_error(format!(
                "Operator '{other}' is not one of EQ, NE, CONTAINS, MATCHES"
            ))
        }
    };
    if holds {
        Verdict::Succeeded {
            summary: format!("{name} is '{variable}', {relation} '{value}'"),
        }
    } else {
        Verdict::Failed {
            summary: format!("{name} is '{variable}', {opposite} '{value}'"),
            error: None,
        }
    }
}

fn deployment_window(resolved: &SmallMap<String>, now: DateTime<Utc>) -> Verdict {
    let Some(cron) = resolved.get("Cron") else {
        return config_error("A DeploymentWindow rule needs Cron in its configuration".into());
    };
    let schedule = match Schedule::parse(cron, resolved.get("TimeZone").map(String::as_str)) {
        Ok(s) => s,
        Err(e) => return config_error(format!("The deployment window is not valid: {e}")),
    };
    let zone = schedule.zone().label();
    if schedule.is_open(now) {
        return Verdict::Succeeded {
            summary: format!(
                "{} is inside the deployment window '{cron}' ({zone})",
                stamp(now)
            ),
        };
    }
    match schedule.next_opening(now) {
        Some(at) => Verdict::WaitUntil {
            at,
            summary: format!(
                "Outside the deployment window '{cron}' ({zone}); waiting until it opens at {}",
                stamp(at)
            ),
        },
        None => Verdict::Failed {
            summary: format!(
                "The deployment window '{cron}' ({zone}) never opens again after {}",
                stamp(now)
            ),
            error: None,
        },
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn check(variable: &str, operator: &str, value: &str) -> Verdict {
        let declared: SmallMap<String> = [
            ("Variable".to_string(), "#{Src.Branch}".to_string()),
            ("Operator".to_string(), operator.to_string()),
            ("Value".to_string(), value.to_string()),
        ]
        .into();
        let mut resolved = declared.clone();
        resolved.insert("Variable".into(), variable.into());
        evaluate("VariableCheck", &declared, &resolved, Utc::now())
    }

    fn ok(v: &Verdict) -> bool {
        matches!(v, Verdict::Succeeded { .. })
    }

    #[test]
    fn variable_check_operators() {
        assert!(ok(&check("main", "EQ", "main")));
        assert!(!ok(&check("main", "EQ", "Main")), "EQ is case-sensitive");
        assert!(ok(&check("main", "NE", "dev")));
        assert!(!ok(&check("main", "NE", "main")));
        assert!(ok(&check("release/1.2", "CONTAINS", "release")));
        assert!(!ok(&check("main", "CONTAINS", "release")));
        assert!(ok(&check("release/1.2", "MATCHES", r"release/\d+\.\d+")));
        assert!(
            !ok(&check("xrelease/1.2", "MATCHES", r"release/\d+\.\d+")),
            "the whole value must match"
        );
        assert!(ok(&check("a", "MATCHES", "a|b")), "alternation is grouped");
        let failed = check("main", "EQ", "dev");
        assert_eq!(
            failed,
            Verdict::Failed {
                summary: "#{Src.Branch} is 'main', not equal to 'dev'".into(),
                error: None
            }
        );
    }

    #[test]
    fn variable_check_configuration_errors() {
        for v in [check("x", "GT", "1"), check("x", "MATCHES", "(")] {
            let Verdict::Failed { error: Some(e), .. } = v else {
                panic!("{v:?}")
            };
            assert_eq!(e.code, "ConfigurationError");
        }
    }

    #[test]
    fn deployment_windows_wait_or_fail() {
        let config =
            |cron: &str| -> SmallMap<String> { [("Cron".to_string(), cron.to_string())].into() };
        let now = Utc.with_ymd_and_hms(2026, 3, 7, 12, 0, 0).unwrap();
        let c = config("0 0 9-17 ? * MON-FRI *");
        match evaluate("DeploymentWindow", &c, &c, now) {
            Verdict::WaitUntil { at, summary } => {
                assert_eq!(at, Utc.with_ymd_and_hms(2026, 3, 9, 9, 0, 0).unwrap());
                assert!(summary.contains("2026-03-09T09:00:00Z"), "{summary}");
            }
            v => panic!("{v:?}"),
        }
        let c = config("* * * * * ?");
        assert!(ok(&evaluate("DeploymentWindow", &c, &c, now)));
        let c = config("* * * * * ? 2001");
        assert!(matches!(
            evaluate("DeploymentWindow", &c, &c, now),
            Verdict::Failed { error: None, .. }
        ));
        let c = config("nonsense");
        assert!(matches!(
            evaluate("DeploymentWindow", &c, &c, now),
            Verdict::Failed { error: Some(_), .. }
        ));
    }

    #[test]
    fn providers_simfra_does_not_run_fail_and_say_so() {
        for p in ["LambdaInvoke", "CloudWatchAlarm"] {
            let v = evaluate(p, &SmallMap::default(), &SmallMap::default(), Utc::now());
            let Verdict::Failed { summary, error } = v else {
                panic!("{p}")
            };
            assert!(summary.contains(p) && summary.contains("does not support"));
            assert_eq!(error.unwrap().code, "ConfigurationError");
        }
    }
}
