//! CloudWatch Logs as an EventBridge target (`arn:aws:logs:<region>:<account>:log-group:<name>`):
//! each delivered event becomes one log event, in a stream named after the event's id, with
//! the group and stream created when missing (as EventBridge does with its resource policy).

use std::sync::Arc;

use super::Logs;
use crate::services::events::delivery::LogSink;

pub struct EventTarget(pub Arc<Logs>);

impl LogSink for EventTarget {
    fn write(
        &self,
        account: &str,
        region: &str,
        group: &str,
        stream: &str,
        message: &str,
    ) -> Result<(), String> {
        let now = chrono::Utc::now().timestamp_millis();
        self.0
            .append(
                account,
                region,
                group,
                stream,
                &[(now, message.to_string())],
            )
            .map_err(|e| e.to_string())
    }
}
