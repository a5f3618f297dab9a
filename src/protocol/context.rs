//! The per-request context every handler receives: who is calling, where, and which request.

/// Who, where and which request; built once by the router from the HTTP request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Echoed in `x-amzn-RequestId` and in logs.
    pub request_id: String,
    /// From the SigV4 credential scope, or the configured default.
    pub region: String,
    /// The configured account, or a 12-digit access key id used as the account.
    pub account_id: String,
    /// The access key id of the signature, when the request was signed.
    pub access_key: Option<String>,
    /// The signing service name of the credential scope, when signed.
    pub signing_service: Option<String>,
    /// The `Host` header as the client sent it (URLs we hand out use it).
    pub host: String,
}

impl RequestContext {
    /// A context for calls that do not come over HTTP (engine, tests, internal triggers).
    pub fn internal(region: &str, account_id: &str) -> Self {
        RequestContext {
            request_id: uuid::Uuid::new_v4().to_string(),
            region: region.to_string(),
            account_id: account_id.to_string(),
            access_key: None,
            signing_service: None,
            host: "localhost:4599".to_string(),
        }
    }

    /// The ARN of the caller. SigV4 does not reveal the principal behind a key, so every caller
    /// is the account's root user; `lastChangedBy` and `triggerDetail` show this value.
    pub fn caller_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account_id)
    }
}
