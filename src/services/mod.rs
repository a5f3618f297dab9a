//! The services ring: one module per AWS service, each with the same file names
//! (`mod.rs` wiring, `model.rs` wire types, `errors.rs` the error table, `handlers.rs` thin
//! handlers, `validate.rs` request validation, `state.rs` typed state and persistence).

use std::sync::Arc;
use std::time::Duration;

use crate::bus::{Event, EventBus};
use crate::engine::{
    self, ports::ObjectStore as ObjectPort, providers::Providers, Engine, EngineConfig,
};

use crate::protocol::{JsonService, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

pub mod codebuild;
pub mod codecommit;
pub mod codepipeline;
pub mod events;
pub mod logs;
pub mod s3;

/// A JSON service whose operations are not built yet: its prefix is known, so every call
/// answers `UnknownOperationException` (never a 404 or 500), and health says so.
struct Pending(&'static str);

impl ServiceHandle for Pending {
    fn name(&self) -> &'static str {
        self.0
    }
    fn state(&self) -> String {
        "not implemented yet".to_string()
    }
    fn reset(&self) {}
}

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
    let builds = codebuild_service(
        router,
        settings,
        store.clone(),
        logs,
        object_port.clone(),
        codecommit.clone(),
        bus.clone(),
    )?;
    let mut providers = Providers::new();
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
        ..EngineConfig::default()
    };
    let trigger_bus = bus.clone();
    let engine = Engine::start(store.clone(), bus, providers, config)
        .map_err(|e| format!("starting the execution engine: {e}"))?;
    router.add_service(Arc::new(EngineHandle(engine.clone())));
    let pipelines = codepipeline::register(router, settings, store.clone(), engine.clone())?;
    // EventBridge: rules match every event on the bus; pipeline targets start executions.
    let rules = events::register(router, settings, store.clone(), &trigger_bus)?;
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
    // CodeDeploy is not built yet: its prefix answers UnknownOperationException.
    router.add_json(JsonService::new("CodeDeploy_20141006", "codedeploy"));
    router.add_service(Arc::new(Pending("codedeploy")));
    Ok(())
}

/// CodeBuild: its state, the container runtime (with `SIMFRA_DOCKER=true`), the runner and
/// the operation table. Build containers reach simfra on the Docker bridge's gateway address
/// (simfra listens there too when it is bound to loopback) unless
/// `SIMFRA_CONTAINER_ENDPOINT` says otherwise.
fn codebuild_service(
    router: &mut Router,
    settings: &Settings,
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
    let mut endpoint = settings.container_endpoint.clone().map(EndpointCell::fixed);
    let runtime: Option<Arc<dyn crate::runtime::ContainerRuntime>> = if settings.docker {
        match crate::runtime::docker::Docker::connect() {
            Ok(docker) => {
                if endpoint.is_none() {
                    match crate::runtime::network::bridge_gateway_blocking(docker.socket_path()) {
                Some(ip) => {
                    let loopback = matches!(settings.host.as_str(), "127.0.0.1" | "localhost" | "::1");
                    if loopback {
                        router.extra_binds.push(ip);
                    }
                    endpoint = Some(EndpointCell::on_bound(router.bound.clone(), ip));
                }
                None => tracing::warn!(
                    "the Docker bridge network was not found: builds cannot reach simfra                      unless SIMFRA_CONTAINER_ENDPOINT is set"
                ),
            }
                }
                Some(Arc::new(docker) as Arc<dyn crate::runtime::ContainerRuntime>)
            }
            Err(e) => {
                tracing::error!("SIMFRA_DOCKER is on, but Docker is not reachable ({e}): builds will fail in PROVISIONING");
                None
            }
        }
    } else {
        None
    };
    let config = codebuild::runner::RunnerConfig {
        container_endpoint: endpoint.map(Arc::new),
        codebuild_image: settings.codebuild_image.clone(),
        minute: Duration::from_millis(settings.build_minute_millis.max(10)),
        work_dir: store.blob_root().join("codebuild-work"),
        network: None,
        extra_hosts: Vec::new(),
    };
    let runner = codebuild::runner::Runner::start(
        state.clone(),
        logs,
        objects,
        Some(repos),
        runtime,
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
