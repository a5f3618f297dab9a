//! The services ring: one module per AWS service, each with the same file names
//! (`mod.rs` wiring, `model.rs` wire types, `errors.rs` the error table, `handlers.rs` thin
//! handlers, `validate.rs` request validation, `state.rs` typed state and persistence).

use std::sync::Arc;
use std::time::Duration;

use crate::bus::{Event, EventBus};
use crate::engine::{
    self, ports::ObjectStore as ObjectPort, providers::Providers, Engine, EngineConfig,
};

use crate::protocol::{Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

pub mod codebuild;
pub mod codecommit;
pub mod codedeploy;
pub mod codepipeline;
pub mod containers;
pub mod events;
pub mod logs;
pub mod s3;

/// Builds every service, the event bus and the execution engine, and registers the services
/// with the router. Must run inside an actix system (the engine starts its actors).
pub fn register_all(
    router: &mut Router,
    settings: &Settings,
    store: Arc<Store>,
) -> Result<(), String> {
    let bus = EventBus::default();
    // CodeCommit's git endpoint (`/v1/repos/...`) must come before S3, the REST fallback.
    let codecommit = codecommit::register(router, settings, store.clone(), bus.clone())?;
    // S3 is the REST fallback: registered after every other REST service.
    let objects = s3::register(router, settings, store.clone())?;
    {
        let bus = bus.clone();
        objects.on_event(Arc::new(move |event| {
            match serde_json::to_value(event).and_then(serde_json::from_value::<Event>) {
                Ok(ev) => bus.publish(ev),
                Err(e) => tracing::error!("an S3 event could not be put on the bus: {e}"),
            }
        }));
    }
    let object_port: Arc<dyn ObjectPort> = Arc::new(objects.clone());
    let logs = logs::register(router, settings, store.clone())?;
    let log_target = Arc::new(logs::event_target::EventTarget(logs.clone()));
    let containers = containers::connect(router, settings);
    let builds = codebuild_service(
        router,
        settings,
        &containers,
        store.clone(),
        logs,
        object_port.clone(),
        codecommit.clone(),
        bus.clone(),
    )?;
    let deploys = codedeploy::register(router, settings, store.clone())?;
    let deploy_runner = codedeploy::runner::DeployRunner::start(
        &deploys,
        object_port.clone(),
        containers.runtime.clone(),
        bus.clone(),
        codedeploy::runner::DeployConfig {
            work_dir: store.blob_root().join("codedeploy-work"),
            instance_image: settings.codedeploy_image.clone(),
            persistent: settings.data_dir.is_some(),
            network: containers.network.clone(),
            endpoint: containers.endpoint.clone(),
            docker_unavailable: containers.unavailable.clone(),
        },
    )?;
    let mut providers = Providers::new();
    providers.register(
        "Deploy",
        "AWS",
        "CodeDeploy",
        Arc::new(engine::providers::codedeploy::CodeDeployAction {
            deployments: Arc::new(codedeploy::runner::Deploys {
                svc: deploys,
                runner: deploy_runner,
            }),
            objects: object_port.clone(),
        }),
    );
    for category in ["Build", "Test"] {
        providers.register(
            category,
            "AWS",
            "CodeBuild",
            Arc::new(engine::providers::codebuild::CodeBuildAction {
                builds: builds.clone(),
            }),
        );
    }
    providers.register(
        "Compute",
        "AWS",
        "Commands",
        Arc::new(engine::providers::commands::CommandsAction {
            builds: builds.clone(),
        }),
    );
    providers.set_rule_builds(builds.clone());
    providers.register(
        "Source",
        "AWS",
        "S3",
        Arc::new(engine::providers::s3::S3Source {
            objects: object_port.clone(),
        }),
    );
    providers.register(
        "Source",
        "AWS",
        "CodeCommit",
        Arc::new(engine::providers::codecommit::CodeCommitSource {
            repositories: codecommit,
            objects: object_port.clone(),
            work_dir: store.blob_root().join("engine-work"),
        }),
    );
    providers.set_job_artifact_store(object_port.clone());
    providers.register(
        "Deploy",
        "AWS",
        "S3",
        Arc::new(engine::providers::s3::S3Deploy {
            objects: object_port,
            work_dir: store.blob_root().join("engine-work"),
        }),
    );
    let config = EngineConfig {
        approval_timeout: Duration::from_secs(settings.approval_timeout_seconds.max(1)),
        action_timeout: Duration::from_secs(settings.action_timeout_seconds.max(1)),
        rule_timeout: Duration::from_secs(settings.rule_timeout_seconds.max(1)),
        ..EngineConfig::default()
    };
    let trigger_bus = bus.clone();
    let engine = Engine::start(store.clone(), bus, providers, config)
        .map_err(|e| format!("starting the execution engine: {e}"))?;
    router.add_service(Arc::new(EngineHandle(engine.clone())));
    let pipelines = codepipeline::register(router, settings, store.clone(), engine.clone())?;
    // EventBridge: rules match every event on the bus; pipeline targets start executions.
    let rules = events::register(router, settings, store.clone(), &trigger_bus)?;
    rules.set_log_sink(log_target);
    rules.set_build_starter(Arc::new(codebuild::event_target::EventTarget(builds)));
    rules.set_pipeline_starter(Arc::new(codepipeline::event_target::EventTarget(Arc::new(
        codepipeline::executions::Executions {
            cp: pipelines.clone(),
            engine: engine.clone(),
        },
    ))));
    codepipeline::triggers::start(
        &trigger_bus,
        Arc::new(codepipeline::executions::Executions {
            cp: pipelines,
            engine,
        }),
    );
    Ok(())
}

/// CodeBuild: its state, the runner (on the shared container runtime) and the operation
/// table.
#[allow(clippy::too_many_arguments)]
fn codebuild_service(
    router: &mut Router,
    settings: &Settings,
    containers: &containers::Containers,
    store: Arc<Store>,
    logs: Arc<logs::Logs>,
    objects: Arc<dyn ObjectPort>,
    repos: Arc<codecommit::CodeCommit>,
    bus: EventBus,
) -> Result<Arc<codebuild::CodeBuild>, String> {
    let state = Arc::new(
        codebuild::state::State::load(store.clone())
            .map_err(|e| format!("loading CodeBuild: {e}"))?,
    );
    let config = codebuild::runner::RunnerConfig {
        container_endpoint: containers.endpoint.clone(),
        codebuild_image: settings.codebuild_image.clone(),
        minute: Duration::from_millis(settings.build_minute_millis.max(10)),
        work_dir: store.blob_root().join("codebuild-work"),
        network: containers.network.clone(),
        extra_hosts: Vec::new(),
        docker_unavailable: containers.unavailable.clone(),
    };
    let runner = codebuild::runner::Runner::start(
        state.clone(),
        logs,
        objects,
        Some(repos),
        containers.runtime.clone(),
        bus,
        config,
    )?;
    let svc = Arc::new(codebuild::CodeBuild { state, runner });
    codebuild::register(router, svc.clone());
    Ok(svc)
}

pub use codebuild::runner::EndpointCell;

/// The engine's part in `/_simfra/health` and `/_simfra/reset`.
struct EngineHandle(Engine);

impl ServiceHandle for EngineHandle {
    fn name(&self) -> &'static str {
        "engine"
    }
    fn reset(&self) {
        self.0.reset();
    }
    fn shutdown(&self) {
        self.0.shutdown();
    }
}
