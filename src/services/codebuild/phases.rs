//! The build phase state machine, pure: which phase follows which, given how a phase ended.
//!
//! AWS's rules (reference 6.2): a failure in PROVISIONING, DOWNLOAD_SOURCE, INSTALL or
//! PRE_BUILD skips to FINALIZING; a failure in BUILD still runs POST_BUILD (with
//! `CODEBUILD_BUILD_SUCCEEDING=0`); UPLOAD_ARTIFACTS is attempted after BUILD and POST_BUILD
//! whatever they did (AWS documents this; a failed build still uploads what it produced, and a
//! pipeline action fails on the build status anyway); `on-failure: CONTINUE` lets the next
//! phase run as if the phase had passed; a stop or a timeout goes to FINALIZING. FINALIZING
//! and COMPLETED always come last.

/// The phases of a build, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Submitted,
    Queued,
    Provisioning,
    DownloadSource,
    Install,
    PreBuild,
    Build,
    PostBuild,
    UploadArtifacts,
    Finalizing,
    Completed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Submitted => "SUBMITTED",
            Phase::Queued => "QUEUED",
            Phase::Provisioning => "PROVISIONING",
            Phase::DownloadSource => "DOWNLOAD_SOURCE",
            Phase::Install => "INSTALL",
            Phase::PreBuild => "PRE_BUILD",
            Phase::Build => "BUILD",
            Phase::PostBuild => "POST_BUILD",
            Phase::UploadArtifacts => "UPLOAD_ARTIFACTS",
            Phase::Finalizing => "FINALIZING",
            Phase::Completed => "COMPLETED",
        }
    }

    /// The buildspec phase whose commands this phase runs.
    pub fn buildspec_name(self) -> Option<&'static str> {
        match self {
            Phase::Install => Some("install"),
            Phase::PreBuild => Some("pre_build"),
            Phase::Build => Some("build"),
            Phase::PostBuild => Some("post_build"),
            _ => None,
        }
    }

    fn following(self) -> Phase {
        match self {
            Phase::Submitted => Phase::Queued,
            Phase::Queued => Phase::Provisioning,
            Phase::Provisioning => Phase::DownloadSource,
            Phase::DownloadSource => Phase::Install,
            Phase::Install => Phase::PreBuild,
            Phase::PreBuild => Phase::Build,
            Phase::Build => Phase::PostBuild,
            Phase::PostBuild => Phase::UploadArtifacts,
            Phase::UploadArtifacts => Phase::Finalizing,
            Phase::Finalizing | Phase::Completed => Phase::Completed,
        }
    }
}

/// How a phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Failed; `continue_on_failure` is the phase's `on-failure: CONTINUE`.
    Failed {
        continue_on_failure: bool,
    },
    /// A fault of the platform (the container runtime failed).
    Fault,
    Stopped,
    TimedOut,
}

impl Outcome {
    /// The phase's status as the API shows it.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Succeeded => "SUCCEEDED",
            Outcome::Failed { .. } => "FAILED",
            Outcome::Fault => "FAULT",
            Outcome::Stopped => "STOPPED",
            Outcome::TimedOut => "TIMED_OUT",
        }
    }
}

/// The phase after `phase` ended with `outcome`.
pub fn next(phase: Phase, outcome: Outcome) -> Phase {
    match outcome {
        Outcome::Succeeded
        | Outcome::Failed {
            continue_on_failure: true,
        } => phase.following(),
        Outcome::Stopped | Outcome::TimedOut | Outcome::Fault => match phase {
            Phase::Finalizing | Phase::Completed => Phase::Completed,
            _ => Phase::Finalizing,
        },
        Outcome::Failed {
            continue_on_failure: false,
        } => match phase {
            Phase::Build => Phase::PostBuild,
            Phase::PostBuild => Phase::UploadArtifacts,
            Phase::Finalizing | Phase::Completed => Phase::Completed,
            _ => Phase::Finalizing,
        },
    }
}

/// The build's status once it is over, from the outcomes of its phases.
pub fn build_status(outcomes: &[Outcome]) -> &'static str {
    let mut status = "SUCCEEDED";
    for o in outcomes {
        match o {
            Outcome::Stopped => return "STOPPED",
            Outcome::TimedOut => return "TIMED_OUT",
            Outcome::Fault => status = "FAULT",
            Outcome::Failed { .. } if status == "SUCCEEDED" => status = "FAILED",
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAIL: Outcome = Outcome::Failed {
        continue_on_failure: false,
    };
    const CONTINUE: Outcome = Outcome::Failed {
        continue_on_failure: true,
    };

    #[test]
    fn success_walks_every_phase_in_order() {
        let mut p = Phase::Submitted;
        let mut seen = vec![p];
        while p != Phase::Completed {
            p = next(p, Outcome::Succeeded);
            seen.push(p);
        }
        let names: Vec<_> = seen.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            names,
            [
                "SUBMITTED",
                "QUEUED",
                "PROVISIONING",
                "DOWNLOAD_SOURCE",
                "INSTALL",
                "PRE_BUILD",
                "BUILD",
                "POST_BUILD",
                "UPLOAD_ARTIFACTS",
                "FINALIZING",
                "COMPLETED"
            ]
        );
    }

    #[test]
    fn early_failures_skip_to_finalizing() {
        for p in [
            Phase::Provisioning,
            Phase::DownloadSource,
            Phase::Install,
            Phase::PreBuild,
        ] {
            assert_eq!(next(p, FAIL), Phase::Finalizing, "{p:?}");
        }
    }

    #[test]
    fn build_failure_still_runs_post_build_then_upload() {
        assert_eq!(next(Phase::Build, FAIL), Phase::PostBuild);
        assert_eq!(next(Phase::PostBuild, FAIL), Phase::UploadArtifacts);
        assert_eq!(next(Phase::UploadArtifacts, FAIL), Phase::Finalizing);
        assert_eq!(next(Phase::Finalizing, FAIL), Phase::Completed);
    }

    #[test]
    fn continue_on_failure_moves_on_as_if_passed() {
        assert_eq!(next(Phase::Install, CONTINUE), Phase::PreBuild);
        assert_eq!(next(Phase::PreBuild, CONTINUE), Phase::Build);
    }

    #[test]
    fn stop_and_timeout_go_to_finalizing() {
        for o in [Outcome::Stopped, Outcome::TimedOut, Outcome::Fault] {
            assert_eq!(next(Phase::Build, o), Phase::Finalizing);
            assert_eq!(next(Phase::Finalizing, o), Phase::Completed);
        }
    }

    #[test]
    fn build_status_from_outcomes() {
        assert_eq!(build_status(&[Outcome::Succeeded]), "SUCCEEDED");
        assert_eq!(build_status(&[Outcome::Succeeded, CONTINUE]), "FAILED");
        assert_eq!(build_status(&[FAIL, Outcome::Fault]), "FAULT");
        assert_eq!(build_status(&[FAIL, Outcome::Stopped]), "STOPPED");
        assert_eq!(build_status(&[Outcome::TimedOut]), "TIMED_OUT");
    }
}
