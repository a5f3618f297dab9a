//! Settings: the one struct every part of simfra reads its configuration from.
//!
//! Filled from command-line flags and `SIMFRA_*` environment variables (clap does both); tests
//! build it directly with [`Settings::for_tests`] instead of touching the process environment.

use std::path::PathBuf;

use clap::Parser;

/// simfra: a local AWS-compatible CI/CD cloud on one port.
#[derive(Debug, Clone, Parser)]
#[command(name = "simfra", version, about)]
pub struct Settings {
    /// Address to bind (use 0.0.0.0 inside a container).
    #[arg(long, env = "SIMFRA_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// The one port every service answers on.
    #[arg(long, env = "SIMFRA_PORT", default_value_t = 4599)]
    pub port: u16,

    /// Directory for persistent state; unset keeps everything in memory.
    #[arg(long, env = "SIMFRA_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Run builds and deployment hooks in real Docker containers.
    #[arg(long, env = "SIMFRA_DOCKER", default_value_t = false, action = clap::ArgAction::Set)]
    pub docker: bool,

    /// Region used when a request does not name one in its signature.
    #[arg(long, env = "SIMFRA_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Account id used in every ARN (SigV4 carries none).
    #[arg(long, env = "SIMFRA_ACCOUNT_ID", default_value = "000000000000")]
    pub account_id: String,

    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[arg(long, env = "SIMFRA_LOG", default_value = "info")]
    pub log: String,

    /// Largest accepted body of a JSON (non-S3) request, in bytes.
    #[arg(long, env = "SIMFRA_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// How long a manual approval waits for an answer before it fails (AWS: 7 days).
    #[arg(long, env = "SIMFRA_APPROVAL_TIMEOUT_SECONDS", default_value_t = 7 * 24 * 3600)]
    pub approval_timeout_seconds: u64,

    /// How long any other pipeline action may run before it fails (AWS: 1 hour for most).
    #[arg(long, env = "SIMFRA_ACTION_TIMEOUT_SECONDS", default_value_t = 3600)]
    pub action_timeout_seconds: u64,

    /// How long a rule of a stage condition may stay in progress (a closed deployment window,
    /// running commands) before it fails, unless the rule sets `timeoutInMinutes`.
    #[arg(long, env = "SIMFRA_RULE_TIMEOUT_SECONDS", default_value_t = 7 * 24 * 3600)]
    pub rule_timeout_seconds: u64,

    /// HTTP worker threads (0: one per core).
    #[arg(long, env = "SIMFRA_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// How long one minute of an EventBridge `rate(...)` schedule lasts, in milliseconds
    /// (tests shorten it; `cron(...)` schedules always follow the wall clock).
    #[arg(long, env = "SIMFRA_EVENTS_MINUTE_MILLIS", default_value_t = 60_000)]
    pub events_minute_millis: u64,

    /// The local image CodeBuild uses for `aws/codebuild/*` images (which are rarely present
    /// locally); unset: those images are used as named.
    #[arg(long, env = "SIMFRA_CODEBUILD_IMAGE")]
    pub codebuild_image: Option<String>,

    /// The image the containers of registered on-premises instances (CodeDeploy targets) run;
    /// unset: on-premises instances get no container.
    #[arg(long, env = "SIMFRA_CODEDEPLOY_IMAGE")]
    pub codedeploy_image: Option<String>,

    /// simfra's endpoint as build containers reach it (`AWS_ENDPOINT_URL` in builds); unset:
    /// found from the Docker network.
    #[arg(long, env = "SIMFRA_CONTAINER_ENDPOINT")]
    pub container_endpoint: Option<String>,

    /// The Docker network build containers join when simfra runs in a container on several
    /// networks; unset: a user-defined network simfra is on, before the default bridge.
    #[arg(long, env = "SIMFRA_CONTAINER_NETWORK")]
    pub container_network: Option<String>,

    /// How long one minute of a build's `timeoutInMinutes` lasts, in milliseconds (tests
    /// shorten it).
    #[arg(long, env = "SIMFRA_BUILD_MINUTE_MILLIS", default_value_t = 60_000)]
    pub build_minute_millis: u64,
}

impl Settings {
    /// Settings for in-process tests: loopback, port 0 (any free port), in memory.
    pub fn for_tests() -> Self {
        Settings {
            host: "127.0.0.1".into(),
            port: 0,
            data_dir: None,
            docker: false,
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            log: "warn".into(),
            max_body_bytes: 16 * 1024 * 1024,
            approval_timeout_seconds: 7 * 24 * 3600,
            action_timeout_seconds: 3600,
            rule_timeout_seconds: 7 * 24 * 3600,
            workers: 1,
            events_minute_millis: 60_000,
            codebuild_image: None,
            codedeploy_image: None,
            container_endpoint: None,
            container_network: None,
            build_minute_millis: 60_000,
        }
    }
}
