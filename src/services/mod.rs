//! The services ring: one module per AWS service, each with the same file names
//! (`mod.rs` wiring, `model.rs` wire types, `errors.rs` the error table, `handlers.rs` thin
//! handlers, `validate.rs` request validation, `state.rs` typed state and persistence).

use std::sync::Arc;

use crate::protocol::{JsonService, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

pub mod codepipeline;

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

/// Builds every service and registers it with the router.
pub fn register_all(
    router: &mut Router,
    settings: &Settings,
    store: Arc<Store>,
) -> Result<(), String> {
    codepipeline::register(router, settings, store.clone())?;
    for (prefix, name) in [
        ("CodeBuild_20161006", "codebuild"),
        ("CodeCommit_20150413", "codecommit"),
        ("CodeDeploy_20141006", "codedeploy"),
        ("AWSEvents", "events"),
        ("Logs_20140328", "logs"),
    ] {
        router.add_json(JsonService::new(prefix, name));
        router.add_service(Arc::new(Pending(name)));
    }
    Ok(())
}
