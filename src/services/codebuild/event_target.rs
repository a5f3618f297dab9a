//! CodeBuild as an EventBridge target (`arn:aws:codebuild:<region>:<account>:project/<name>`):
//! a matched event starts a build. What the target delivers (its `Input`, an
//! `InputTransformer`'s output, or the event) is read as StartBuild parameters when it is a
//! JSON object (`sourceVersion`, `environmentVariablesOverride`, ...); members StartBuild does
//! not know, such as an event's envelope, are ignored, as AWS ignores them.

use std::sync::Arc;

use super::model::StartBuildInput;
use super::CodeBuild;
use crate::services::events::delivery::BuildStarter;

pub struct EventTarget(pub Arc<CodeBuild>);

impl BuildStarter for EventTarget {
    fn start_build(
        &self,
        account: &str,
        region: &str,
        project: &str,
        input: &str,
    ) -> Result<String, String> {
        let mut params: StartBuildInput = match serde_json::from_str::<serde_json::Value>(input) {
            Ok(v) if v.is_object() => {
                let mut v = v;
                v["projectName"] = project.into();
                serde_json::from_value(v).unwrap_or_default()
            }
            _ => StartBuildInput::default(),
        };
        params.project_name = project.to_string();
        self.0
            .start(account, region, params, None, "events.amazonaws.com".into())
            .map(|b| b.id)
            .map_err(|e| e.to_string())
    }
}
