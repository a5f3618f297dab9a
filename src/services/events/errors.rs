//! The one error table of EventBridge: each error, its AWS code and its HTTP status.

use crate::protocol::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceAlreadyExists(String),
    #[error("{0}")]
    InvalidEventPattern(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    ManagedRule(String),
    #[error("{0}")]
    IllegalStatus(String),
    #[error("{0}")]
    Internal(String),
}

impl EventsError {
    pub fn code(&self) -> &'static str {
        match self {
            EventsError::Validation(_) => "ValidationException",
            EventsError::ResourceNotFound(_) => "ResourceNotFoundException",
            EventsError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            EventsError::InvalidEventPattern(_) => "InvalidEventPatternException",
            EventsError::LimitExceeded(_) => "LimitExceededException",
            EventsError::ManagedRule(_) => "ManagedRuleException",
            EventsError::IllegalStatus(_) => "IllegalStatusException",
            EventsError::Internal(_) => "InternalException",
        }
    }

    pub fn rule_not_found(name: &str, bus: &str) -> Self {
        EventsError::ResourceNotFound(format!("Rule {name} does not exist on EventBus {bus}."))
    }

    pub fn bus_not_found(name: &str) -> Self {
        EventsError::ResourceNotFound(format!("Event bus {name} does not exist."))
    }
}

impl From<EventsError> for ApiError {
    fn from(e: EventsError) -> Self {
        let status = match e {
            EventsError::Internal(_) => 500,
            _ => 400,
        };
        ApiError::with_status(status, e.code(), e.to_string())
    }
}

impl From<ApiError> for EventsError {
    fn from(e: ApiError) -> Self {
        if e.status >= 500 {
            EventsError::Internal(e.message)
        } else {
            EventsError::Validation(e.message)
        }
    }
}

impl From<crate::store::StoreError> for EventsError {
    fn from(e: crate::store::StoreError) -> Self {
        EventsError::Internal(format!("persisting the change failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        let e: ApiError = EventsError::rule_not_found("r", "default").into();
        assert_eq!(
            (e.status, e.code.as_ref()),
            (400, "ResourceNotFoundException")
        );
        assert_eq!(e.message, "Rule r does not exist on EventBus default.");
        let e: ApiError = EventsError::Internal("x".into()).into();
        assert_eq!((e.status, e.code.as_ref()), (500, "InternalException"));
        let e: ApiError = EventsError::InvalidEventPattern("bad".into()).into();
        assert_eq!(e.code, "InvalidEventPatternException");
    }
}
