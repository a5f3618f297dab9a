//! Setting up a build's environment: PROVISIONING (the container, from the project's image,
//! with CodeBuild's variables) and DOWNLOAD_SOURCE (the sources copied in, the buildspec read,
//! the shell session opened in the source directory).

use super::commands::{cache_script, CacheStep, CACHE_MOUNT};
use super::*;

impl Exec<'_> {
    pub(super) async fn provision(&mut self) -> Work {
        let Some(runtime) = self.runner.runtime.clone() else {
            return Work::Failed(
                "CLIENT_ERROR".into(),
                match &self.runner.config.docker_unavailable {
                    Some(why) => {
                        format!("Builds run in Docker containers, and Docker cannot be used: {why}")
                    }
                    None => {
                        "Builds run in Docker containers: start simfra with SIMFRA_DOCKER=true \
                             and a reachable Docker daemon to run them"
                            .into()
                    }
                },
            );
        };
        for (name, _, ty) in &self.job.variables {
            if ty != "PLAINTEXT" {
                return Work::Failed(
                    "CLIENT_ERROR".into(),
                    format!(
                        "Environment variable {name} has type {ty}: simfra does not have \
                         Parameter Store or Secrets Manager yet; only PLAINTEXT variables work"
                    ),
                );
            }
        }
        let Some(build) =
            self.runner
                .state
                .build(&self.job.account, &self.job.region, &self.job.build_id)
        else {
            return Work::Fault("CLIENT_ERROR".into(), "the build record is gone".into());
        };
        let image = self.image(&build.environment.image);
        if image != build.environment.image {
            self.log.agent(format!(
                "Using the local image {image} for {}",
                build.environment.image
            ));
        }
        if let Err(e) = runtime.ensure_image(&image).await {
            return match e {
                RuntimeError::ImageUnavailable { .. } => Work::Failed(
                    "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE".into(),
                    format!("Unable to pull customer's container image. {e}"),
                ),
                other => Work::Failed("CLIENT_ERROR".into(), other.to_string()),
            };
        }
        let spec = self.container_spec(&build, &image);
        match runtime.start_container(spec).await {
            Ok(id) => {
                self.log.agent("Waiting for agent ping");
                self.container = Some(ContainerGuard::new(runtime, id));
                Work::Done
            }
            Err(e) => Work::Failed("CLIENT_ERROR".into(), e.to_string()),
        }
    }

    /// The image to run: `aws/codebuild/*` images map to the configured local image.
    pub(super) fn image(&self, wanted: &str) -> String {
        match &self.runner.config.codebuild_image {
            Some(local) if wanted.starts_with("aws/codebuild/") => local.clone(),
            _ => wanted.to_string(),
        }
    }

    pub(super) fn container_spec(&self, build: &Build, image: &str) -> ContainerSpec {
        let job = &self.job;
        let mut env: Vec<(String, String)> = vec![
            ("AWS_REGION".into(), job.region.clone()),
            ("AWS_DEFAULT_REGION".into(), job.region.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "simfra".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "simfra".into()),
            ("CODEBUILD_BUILD_ARN".into(), build.arn.clone()),
            ("CODEBUILD_BUILD_ID".into(), build.id.clone()),
            (
                "CODEBUILD_BUILD_IMAGE".into(),
                build.environment.image.clone(),
            ),
            (
                "CODEBUILD_BUILD_NUMBER".into(),
                build.build_number.to_string(),
            ),
            ("CODEBUILD_BUILD_SUCCEEDING".into(), "1".into()),
            ("CODEBUILD_INITIATOR".into(), build.initiator.clone()),
            ("CODEBUILD_LOG_PATH".into(), build.logs.stream_name.clone()),
            (
                "CODEBUILD_START_TIME".into(),
                build.start_time.0.to_string(),
            ),
            ("CODEBUILD_CI".into(), "true".into()),
            ("CODEBUILD_CONTAINER_NAME".into(), "default".into()),
            (
                "CODEBUILD_KMS_KEY_ID".into(),
                build.encryption_key.clone().unwrap_or_default(),
            ),
        ];
        if let Some(endpoint) = self
            .runner
            .config
            .container_endpoint
            .as_ref()
            .and_then(|e| e.get())
        {
            env.push(("AWS_ENDPOINT_URL".into(), endpoint));
        }
        if let Some(v) = &build.source_version {
            env.push(("CODEBUILD_SOURCE_VERSION".into(), v.clone()));
        }
        if let Some(l) = &build.source.location {
            env.push(("CODEBUILD_SOURCE_REPO_URL".into(), l.clone()));
        }
        for (name, value, _) in &job.variables {
            env.retain(|(n, _)| n != name);
            env.push((name.clone(), value.clone()));
        }
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("simfra.service".to_string(), "codebuild".to_string());
        labels.insert("simfra.build-id".to_string(), build.id.clone());
        labels.insert("simfra.project".to_string(), build.project_name.clone());
        if let Some(tag) = crate::runtime::process_tag(std::process::id()) {
            labels.insert(crate::runtime::OWNER_LABEL.to_string(), tag);
        }
        let short = build.id.rsplit(':').next().unwrap_or("build");
        ContainerSpec {
            name: format!("simfra-build-{}-{}", sanitize(&build.project_name), short),
            image: image.to_string(),
            env,
            labels,
            working_dir: None,
            // privilegedMode exists for Docker commands in builds: simfra hands the build the
            // host daemon's socket, so no nested daemon and no --privileged container is needed.
            docker_socket: job.privileged,
            privileged: false,
            volumes: job
                .cache_paths_volume
                .iter()
                .map(|v| (v.clone(), CACHE_MOUNT.to_string()))
                .collect(),
            network: self.runner.config.network.clone(),
            extra_hosts: self.runner.config.extra_hosts.clone(),
        }
    }

    pub(super) async fn download_source(&mut self) -> Work {
        let Some(container) = self.container.as_ref().map(|c| c.id().to_string()) else {
            return Work::Fault("CLIENT_ERROR".into(), "no build container".into());
        };
        let Some(runtime) = self.runner.runtime.clone() else {
            return Work::Fault("CLIENT_ERROR".into(), "no container runtime".into());
        };
        let layout =
            match sources::download(self.runner, &self.job, runtime.as_ref(), &container).await {
                Ok(l) => l,
                Err((code, msg)) => return Work::Failed(code, msg),
            };
        self.log
            .agent(format!("CODEBUILD_SRC_DIR={}", layout.src_dir));
        if let Some(v) = &layout.resolved_source_version {
            let v = v.clone();
            self.modify(|b| b.resolved_source_version = Some(v));
        }
        let text = match &layout.buildspec {
            Ok(text) => text.clone(),
            Err(msg) => return Work::Failed("YAML_FILE_ERROR".into(), msg.clone()),
        };
        self.log
            .agent(format!("YAML location is {}", layout.buildspec_location));
        let spec = match buildspec::parse(&text) {
            Ok(s) => s,
            Err(e) => return Work::Failed("YAML_FILE_ERROR".into(), e.message),
        };
        if !spec.warnings.is_empty() {
            self.log.agent(format!(
                "Found possible syntax errors in buildspec: {}",
                spec.warnings.join("; ")
            ));
        }
        // What the buildspec asks that simfra does not do is said in the log, not skipped
        // silently.
        for note in &spec.notes {
            self.log
                .agent(format!("Not supported by simfra, ignored: {note}"));
        }
        if !spec.reports.is_empty() {
            self.log.agent(format!(
                "Report groups are not supported by simfra yet: the reports {} are not collected",
                spec.reports.join(", ")
            ));
        }
        if let Some((name, _)) = spec
            .env
            .parameter_store
            .first()
            .or(spec.env.secrets_manager.first())
        {
            return Work::Failed(
                "CLIENT_ERROR".into(),
                format!(
                    "The buildspec reads {name} from Parameter Store or Secrets Manager, which \
                     simfra does not have yet"
                ),
            );
        }
        let shell = spec.env.shell.clone().unwrap_or_else(|| "/bin/sh".into());
        let session = match runtime.open_shell(&container, &shell).await {
            Ok(s) => s,
            Err(e) => return Work::Failed("CLIENT_ERROR".into(), e.to_string()),
        };
        self.shell = Some(session);
        // The session's starting point: the source directory, the source variables, and the
        // buildspec's variables (which project and StartBuild variables override).
        let mut setup = vec![format!("cd {}", quote(&layout.src_dir))];
        for (k, v) in &layout.variables {
            setup.push(format!("export {k}={}", quote(v)));
        }
        for (k, v) in &spec.env.variables {
            if !self.job.variables.iter().any(|(n, _, _)| n == k) {
                setup.push(format!("export {k}={}", quote(v)));
            }
        }
        self.environment_script = setup.join("\n");
        setup.extend(cache_script(
            &self.job,
            &spec.cache_paths,
            CacheStep::Restore,
        ));
        let script = setup.join("\n");
        self.spec = Some(spec);
        self.layout = Some(layout);
        match self.run_quiet(&script).await {
            Ok(0) => Work::Done,
            Ok(code) => Work::Failed(
                "CLIENT_ERROR".into(),
                format!("Setting up the build environment failed with exit status {code}"),
            ),
            Err(e) => Work::Failed("CLIENT_ERROR".into(), e),
        }
    }
}
