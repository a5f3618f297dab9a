//! CodePipeline wire types, named and shaped as in the botocore model (`codepipeline`
//! 2015-07-09): the pipeline declaration, action and rule types, webhooks, tags, and the input
//! and output of every control-plane operation.
//!
//! The same types are the typed state the service keeps and persists; nothing here knows of
//! HTTP or of the store. Members the model marks required are plain fields (a missing one is
//! AWS's `ValidationException` when the request is decoded); optional members are `Option`s,
//! omitted on the wire when absent. Lists AWS always echoes (`inputArtifacts`,
//! `outputArtifacts`) are plain `Vec`s and emitted even when empty.

mod action_types;
mod io;
mod pipeline;
mod webhooks;

pub use action_types::*;
pub use io::*;
pub use pipeline::*;
pub use webhooks::*;

/// Serializes the value behind an `Arc` (serde's `rc` feature is not enabled).
pub(crate) fn serialize_arc<T: serde::Serialize, S: serde::Serializer>(
    value: &std::sync::Arc<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    T::serialize(value, s)
}
