//! CodePipeline: the control plane (pipelines, action types, webhooks, tags).

use std::sync::Arc;

use crate::protocol::{JsonService, Router, ServiceHandle};
use crate::settings::Settings;
use crate::store::Store;

struct Handle;
impl ServiceHandle for Handle {
    fn name(&self) -> &'static str {
        "codepipeline"
    }
    fn reset(&self) {}
}

pub fn register(
    router: &mut Router,
    _settings: &Settings,
    _store: Arc<Store>,
) -> Result<(), String> {
    router.add_json(JsonService::new("CodePipeline_20150709", "codepipeline"));
    router.add_service(Arc::new(Handle));
    Ok(())
}
