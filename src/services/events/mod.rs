//! EventBridge: event buses, rules with event patterns or schedules, targets that really
//! receive events, connections and API destinations; registered on the `AWSEvents` target.
//!
//! Owns the rules and the delivery of events to targets; it does not produce events (services
//! publish theirs on the internal bus, `crate::bus`). Layout: `pattern.rs` the matcher,
//! `transform.rs` Input/InputPath/InputTransformer, `delivery.rs` the delivery task and the
//! targets, `schedule.rs` rate/cron, `http_client.rs` the API-destination client.
//!
//! Inspection (not an AWS API): `X-Amz-Target: SimfraEvents.ListDeliveries` and
//! `SimfraEvents.ListDeadLetters` (POST `{}`) return the recent deliveries and the deliveries
//! that finally failed.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::bus::{EventBus, LISTENER_CAPACITY};
use crate::protocol::{JsonService, RequestContext, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

pub mod delivery;
pub mod errors;
pub mod handlers;
pub mod http_client;
pub mod model;
pub mod pattern;
pub mod schedule;
pub mod state;
pub mod transform;
pub mod validate;

pub use delivery::PipelineStarter;
use delivery::{Command, DeliveryLog};
use errors::EventsError;

/// The EventBridge service.
pub struct Events {
    pub state: state::State,
    pub log: DeliveryLog,
    commands: mpsc::UnboundedSender<Command>,
    starter: OnceLock<Arc<dyn PipelineStarter>>,
    build_starter: OnceLock<Arc<dyn delivery::BuildStarter>>,
    log_sink: OnceLock<Arc<dyn delivery::LogSink>>,
    /// How long one minute of a `rate(...)` schedule lasts.
    pub minute: Duration,
    /// The first delay between delivery retries (doubled each time, at most 60 s).
    pub retry_base: Duration,
}

impl Events {
    /// Installs the CodePipeline side of pipeline targets (once).
    pub fn set_pipeline_starter(&self, starter: Arc<dyn PipelineStarter>) -> bool {
        self.starter.set(starter).is_ok()
    }

    /// Wires CloudWatch Logs log group targets.
    pub fn set_log_sink(&self, sink: Arc<dyn delivery::LogSink>) -> bool {
        self.log_sink.set(sink).is_ok()
    }

    /// Wires CodeBuild project targets.
    pub fn set_build_starter(&self, starter: Arc<dyn delivery::BuildStarter>) -> bool {
        self.build_starter.set(starter).is_ok()
    }

    fn send(&self, cmd: Command) {
        if self.commands.send(cmd).is_err() {
            tracing::warn!("the EventBridge delivery task is not running");
        }
    }
}

struct Handle(
    Arc<Events>,
    std::sync::Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
);

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "events"
    }
    fn shutdown(&self) {
        if let Some(stop) = self.1.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(());
        }
    }
    fn reset(&self) {
        let keys: Vec<String> = self
            .0
            .state
            .scheduled_rules()
            .iter()
            .map(|r| {
                state::rule_key(
                    &r.record.account,
                    &r.record.region,
                    &r.record.bus,
                    &r.record.name,
                )
            })
            .collect();
        self.0.state.reset();
        self.0.log.clear();
        for k in keys {
            self.0.send(Command::Reschedule(k));
        }
    }
}

macro_rules! bind {
    ($json:ident, $svc:ident, $($name:literal => $handler:path),+ $(,)?) => {
        $(
            let svc = $svc.clone();
            $json = $json.op($name, move |ctx, input| $handler(&svc, ctx, input));
        )+
    };
}

const NOT_BUILT: &[(&str, &str)] = &[
    (
        "ActivateEventSource",
        "partner event sources are not emulated",
    ),
    (
        "DeactivateEventSource",
        "partner event sources are not emulated",
    ),
    (
        "DescribeEventSource",
        "partner event sources are not emulated",
    ),
    ("ListEventSources", "partner event sources are not emulated"),
    (
        "CreatePartnerEventSource",
        "partner event sources are not emulated",
    ),
    (
        "DeletePartnerEventSource",
        "partner event sources are not emulated",
    ),
    (
        "DescribePartnerEventSource",
        "partner event sources are not emulated",
    ),
    (
        "ListPartnerEventSources",
        "partner event sources are not emulated",
    ),
    (
        "ListPartnerEventSourceAccounts",
        "partner event sources are not emulated",
    ),
    ("PutPartnerEvents", "partner event sources are not emulated"),
    ("CreateArchive", "archives and replays are not built yet"),
    ("DeleteArchive", "archives and replays are not built yet"),
    ("DescribeArchive", "archives and replays are not built yet"),
    ("ListArchives", "archives and replays are not built yet"),
    ("UpdateArchive", "archives and replays are not built yet"),
    ("StartReplay", "archives and replays are not built yet"),
    ("CancelReplay", "archives and replays are not built yet"),
    ("DescribeReplay", "archives and replays are not built yet"),
    ("ListReplays", "archives and replays are not built yet"),
    ("CreateEndpoint", "global endpoints are not emulated"),
    ("DeleteEndpoint", "global endpoints are not emulated"),
    ("DescribeEndpoint", "global endpoints are not emulated"),
    ("ListEndpoints", "global endpoints are not emulated"),
    ("UpdateEndpoint", "global endpoints are not emulated"),
    (
        "PutPermission",
        "event bus resource policies are not built yet",
    ),
    (
        "RemovePermission",
        "event bus resource policies are not built yet",
    ),
    ("UpdateEventBus", "updating an event bus is not built yet"),
    (
        "UpdateConnection",
        "updating a connection is not built yet (delete and create it again)",
    ),
    (
        "DeauthorizeConnection",
        "connections are always authorized in simfra",
    ),
];

/// The `AWSEvents` operation table.
pub fn service(svc: &Arc<Events>) -> JsonService {
    use handlers as h;
    let mut json = JsonService::new("AWSEvents", "events");
    bind!(json, svc,
        "PutRule" => h::put_rule,
        "DescribeRule" => h::describe_rule,
        "DeleteRule" => h::delete_rule,
        "EnableRule" => h::enable_rule,
        "DisableRule" => h::disable_rule,
        "ListRules" => h::list_rules,
        "PutTargets" => h::put_targets,
        "RemoveTargets" => h::remove_targets,
        "ListTargetsByRule" => h::list_targets_by_rule,
        "ListRuleNamesByTarget" => h::list_rule_names_by_target,
        "PutEvents" => h::put_events,
        "TestEventPattern" => h::test_event_pattern,
        "CreateEventBus" => h::create_event_bus,
        "DescribeEventBus" => h::describe_event_bus,
        "DeleteEventBus" => h::delete_event_bus,
        "ListEventBuses" => h::list_event_buses,
        "TagResource" => h::tag_resource,
        "UntagResource" => h::untag_resource,
        "ListTagsForResource" => h::list_tags_for_resource,
        "CreateConnection" => h::create_connection,
        "DescribeConnection" => h::describe_connection,
        "DeleteConnection" => h::delete_connection,
        "ListConnections" => h::list_connections,
        "CreateApiDestination" => h::create_api_destination,
        "UpdateApiDestination" => h::update_api_destination,
        "DescribeApiDestination" => h::describe_api_destination,
        "DeleteApiDestination" => h::delete_api_destination,
        "ListApiDestinations" => h::list_api_destinations,
    );
    for (name, what) in NOT_BUILT {
        json = json.not_yet(name, what);
    }
    json
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeliveriesOutput {
    deliveries: Vec<delivery::DeliveryRecord>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeadLettersOutput {
    dead_letters: Vec<delivery::DeadLetter>,
}

#[derive(serde::Deserialize)]
struct NoInput {}

/// The inspection table (`SimfraEvents.*`): what was delivered, and what finally failed.
fn inspection(svc: &Arc<Events>) -> JsonService {
    let a = svc.clone();
    let b = svc.clone();
    JsonService::new("SimfraEvents", "events-inspection")
        .op(
            "ListDeliveries",
            move |_ctx: &RequestContext, _: NoInput| {
                Ok::<_, EventsError>(DeliveriesOutput {
                    deliveries: a.log.deliveries(),
                })
            },
        )
        .op(
            "ListDeadLetters",
            move |_ctx: &RequestContext, _: NoInput| {
                Ok::<_, EventsError>(DeadLettersOutput {
                    dead_letters: b.log.dead_letters(),
                })
            },
        )
}

/// Builds the service from the store, registers it, and starts its delivery task on a thread
/// of its own (with its own runtime, so start-up needs none and a slow target never holds up
/// HTTP serving); the thread ends when the server shuts down.
pub fn register(
    router: &mut Router,
    settings: &Settings,
    store: Arc<Store>,
    bus: &EventBus,
) -> Result<Arc<Events>, String> {
    let state = state::State::load(store).map_err(|e| format!("loading EventBridge state: {e}"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let svc = Arc::new(Events {
        state,
        log: DeliveryLog::default(),
        commands: tx,
        starter: OnceLock::new(),
        build_starter: OnceLock::new(),
        log_sink: OnceLock::new(),
        minute: Duration::from_millis(settings.events_minute_millis.max(10)),
        retry_base: Duration::from_secs(1),
    });
    router.add_json(service(&svc));
    router.add_json(inspection(&svc));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    router.add_service(Arc::new(Handle(
        svc.clone(),
        std::sync::Mutex::new(Some(stop_tx)),
    )));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the EventBridge delivery runtime: {e}"))?;
    // Woken only for events that a rule of the account's default bus may match.
    let wants = svc.clone();
    let inbound = bus.listen(LISTENER_CAPACITY, move |t| {
        wants.state.has_active_rules(t.account, t.region, "default")
    });
    let delivering = delivery::run(svc.clone(), inbound, rx);
    std::thread::Builder::new()
        .name("simfra-events".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    _ = delivering => {}
                    _ = stop_rx => {}
                }
            });
        })
        .map_err(|e| format!("starting the EventBridge delivery thread: {e}"))?;
    Ok(svc)
}
