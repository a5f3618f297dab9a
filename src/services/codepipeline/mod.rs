//! CodePipeline: the control plane (pipelines and their versions, action and rule types,
//! custom action types, webhooks, tags), registered on the `CodePipeline_20150709` target.
//!
//! It owns the declarations and their validation; it does not run executions. The
//! execution-side operations (start/stop, state, approvals, job workers, retries, ...) are
//! answered by the engine (`executions/` registers them over the "not yet" entries made here);
//! those the engine does not offer yet keep answering "not yet" and say so. The
//! engine reads declarations through [`CodePipeline::pipeline`] and hears about created,
//! updated and deleted pipelines through a [`PipelineObserver`].

use std::sync::{Arc, OnceLock};

use crate::protocol::{JsonService, RequestContext, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

pub mod arn;
pub mod catalog;
pub mod errors;
pub mod event_target;
pub mod executions;
pub mod handlers;
pub mod model;
pub mod paging;
pub mod state;
pub mod triggers;
pub mod validate;

use model::{ActionCategory, ActionType, PipelineDeclaration, PipelineMetadata};
use state::{Limits, State, WebhookRecord};

/// What the execution engine hears from the control plane. Every method has an empty default,
/// so an observer implements only what it needs.
pub trait PipelineObserver: Send + Sync {
    /// A pipeline was created (AWS then starts its first execution, trigger `CreatePipeline`).
    fn pipeline_created(
        &self,
        _ctx: &RequestContext,
        _pipeline: &Arc<PipelineDeclaration>,
        _metadata: &PipelineMetadata,
    ) {
    }
    /// A new version of a pipeline was stored.
    fn pipeline_updated(&self, _ctx: &RequestContext, _pipeline: &Arc<PipelineDeclaration>) {}
    /// A pipeline was deleted.
    fn pipeline_deleted(&self, _account: &str, _region: &str, _name: &str) {}
}

struct NoObserver;
impl PipelineObserver for NoObserver {}

/// The CodePipeline control plane.
pub struct CodePipeline {
    state: State,
    observer: OnceLock<Arc<dyn PipelineObserver>>,
}

impl CodePipeline {
    /// Loads the state from the store.
    pub fn new(store: Arc<Store>) -> Result<Self, String> {
        let state = State::load(store, Limits::default())
            .map_err(|e| format!("loading CodePipeline state: {e}"))?;
        Ok(CodePipeline {
            state,
            observer: OnceLock::new(),
        })
    }

    /// Installs the engine's observer (once; later calls are ignored and return false).
    pub fn set_observer(&self, observer: Arc<dyn PipelineObserver>) -> bool {
        self.observer.set(observer).is_ok()
    }

    fn observer(&self) -> &dyn PipelineObserver {
        match self.observer.get() {
            Some(o) => o.as_ref(),
            None => &NoObserver,
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// The latest declaration of a pipeline (secrets unmasked) and its metadata.
    pub fn pipeline(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Option<(Arc<PipelineDeclaration>, PipelineMetadata)> {
        self.state.pipeline(account, region, name)
    }

    /// One stored version of a pipeline.
    pub fn pipeline_version(
        &self,
        account: &str,
        region: &str,
        name: &str,
        version: i64,
    ) -> Option<Arc<PipelineDeclaration>> {
        self.state.pipeline_version(account, region, name, version)
    }

    /// A custom action type that is not deleted (PollForJobs answers ActionTypeNotFound
    /// otherwise).
    pub fn custom_action_type(
        &self,
        account: &str,
        region: &str,
        category: &ActionCategory,
        provider: &str,
        version: &str,
    ) -> Option<ActionType> {
        self.state
            .custom_action_type(account, region, category, provider, version)
    }

    /// The webhook behind a local webhook URL (`/_simfra/webhooks/<id>`).
    pub fn webhook_by_id(&self, id: &str) -> Option<WebhookRecord> {
        self.state.webhook_by_id(id)
    }
}

struct Handle(Arc<CodePipeline>);

impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "codepipeline"
    }
    fn reset(&self) {
        self.0.state.reset();
    }
}

/// Operations of the execution side: registered here as "not yet", then replaced by the
/// engine's handlers (`executions/`) for every one the engine offers.
const ENGINE_OPERATIONS: &[&str] = &[
    "StartPipelineExecution",
    "StopPipelineExecution",
    "GetPipelineState",
    "GetPipelineExecution",
    "ListPipelineExecutions",
    "ListActionExecutions",
    "RetryStageExecution",
    "RollbackStage",
    "OverrideStageCondition",
    "DisableStageTransition",
    "EnableStageTransition",
    "PutApprovalResult",
    "PutActionRevision",
    "ListRuleExecutions",
    "ListDeployActionExecutionTargets",
    "PollForJobs",
    "AcknowledgeJob",
    "GetJobDetails",
    "PutJobSuccessResult",
    "PutJobFailureResult",
    "PollForThirdPartyJobs",
    "AcknowledgeThirdPartyJob",
    "GetThirdPartyJobDetails",
    "PutThirdPartyJobSuccessResult",
    "PutThirdPartyJobFailureResult",
];

/// Registers one synchronous operation bound to the service.
macro_rules! bind {
    ($json:ident, $svc:ident, $($name:literal => $handler:path),+ $(,)?) => {
        $(
            let svc = $svc.clone();
            $json = $json.op($name, move |ctx, input| $handler(&svc, ctx, input));
        )+
    };
}

/// The operation table: the 19 control-plane operations, and the engine's 25 as "not yet"
/// until `executions/` registers those it offers.
pub fn service(svc: &Arc<CodePipeline>) -> JsonService {
    use handlers as h;
    let mut json = JsonService::new("CodePipeline_20150709", "codepipeline");
    bind!(json, svc,
        "CreatePipeline" => h::create_pipeline,
        "GetPipeline" => h::get_pipeline,
        "UpdatePipeline" => h::update_pipeline,
        "DeletePipeline" => h::delete_pipeline,
        "ListPipelines" => h::list_pipelines,
        "TagResource" => h::tag_resource,
        "UntagResource" => h::untag_resource,
        "ListTagsForResource" => h::list_tags_for_resource,
        "ListActionTypes" => h::list_action_types,
        "CreateCustomActionType" => h::create_custom_action_type,
        "DeleteCustomActionType" => h::delete_custom_action_type,
        "GetActionType" => h::get_action_type,
        "UpdateActionType" => h::update_action_type,
        "ListRuleTypes" => h::list_rule_types,
        "PutWebhook" => h::put_webhook,
        "ListWebhooks" => h::list_webhooks,
        "DeleteWebhook" => h::delete_webhook,
        "RegisterWebhookWithThirdParty" => h::register_webhook_with_third_party,
        "DeregisterWebhookWithThirdParty" => h::deregister_webhook_with_third_party,
    );
    for name in ENGINE_OPERATIONS {
        json = json.not_yet(
            name,
            "this part of the execution engine is not built in simfra yet",
        );
    }
    json
}

/// Builds the service from the store, binds its execution side to the engine, and registers
/// it with the router.
pub fn register(
    router: &mut Router,
    _settings: &Settings,
    store: Arc<Store>,
    engine: crate::engine::Engine,
) -> Result<Arc<CodePipeline>, String> {
    let svc = Arc::new(CodePipeline::new(store)?);
    let ex = Arc::new(executions::Executions {
        cp: svc.clone(),
        engine,
    });
    svc.set_observer(Arc::new(executions::Observer(Arc::downgrade(&ex))));
    router.add_json(executions::register(service(&svc), &ex));
    router.add_service(Arc::new(Handle(svc.clone())));
    Ok(svc)
}
