//! CodePipeline as an EventBridge target: a rule whose target is a pipeline ARN starts an
//! execution with trigger `CloudWatchEvent` and the rule's ARN as trigger detail (how
//! CodeCommit/S3 change detection works in AWS).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::executions::Executions;
use crate::engine::Trigger;
use crate::protocol::RequestContext;
use crate::services::events::PipelineStarter;

pub struct EventTarget(pub Arc<Executions>);

impl PipelineStarter for EventTarget {
    fn start_pipeline(
        &self,
        account: &str,
        region: &str,
        name: &str,
        rule_arn: &str,
    ) -> Result<String, String> {
        let ctx = RequestContext::internal(region, account);
        self.0
            .start(
                &ctx,
                name,
                Trigger {
                    trigger_type: "CloudWatchEvent".into(),
                    trigger_detail: rule_arn.to_string(),
                },
                &[],
                None,
                BTreeMap::new(),
            )
            .map_err(|e| e.to_string())
    }
}
