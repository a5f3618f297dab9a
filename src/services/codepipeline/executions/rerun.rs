//! RetryStageExecution and RollbackStage: validate, find the pipeline and the stage in its
//! current declaration, and hand the request to the engine, which decides (`engine::rerun`).

use std::sync::Arc;

use super::model::*;
use super::{find_stage, finish, validate_execution_id, validate_name, Executions};
use crate::engine::status::RetryMode;
use crate::engine::Trigger;
use crate::protocol::validate::Violations;
use crate::protocol::RequestContext;
use crate::services::codepipeline::errors::CodePipelineError as E;

pub async fn retry_stage_execution(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: RetryStageExecutionInput,
) -> Result<RetryStageExecutionOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    validate_execution_id(&mut v, "pipelineExecutionId", &input.pipeline_execution_id);
    v.enumeration("retryMode", &input.retry_mode);
    finish(v)?;
    let (key, spec, _) = ex.current(&ctx, &input.pipeline_name)?;
    find_stage(&spec, &input.stage_name, &input.pipeline_name)?;
    let mode = match input.retry_mode {
        StageRetryMode::AllActions => RetryMode::AllActions,
        _ => RetryMode::FailedActions,
    };
    ex.engine
        .retry_stage(
            &key,
            &input.stage_name,
            &input.pipeline_execution_id,
            mode,
            spec.version,
        )
        .await?;
    Ok(RetryStageExecutionOutput {
        pipeline_execution_id: input.pipeline_execution_id,
    })
}

pub async fn rollback_stage(
    ex: Arc<Executions>,
    ctx: RequestContext,
    input: RollbackStageInput,
) -> Result<RollbackStageOutput, E> {
    let mut v = Violations::new();
    validate_name(&mut v, "pipelineName", &input.pipeline_name);
    validate_name(&mut v, "stageName", &input.stage_name);
    validate_execution_id(
        &mut v,
        "targetPipelineExecutionId",
        &input.target_pipeline_execution_id,
    );
    finish(v)?;
    let (key, spec, _) = ex.current(&ctx, &input.pipeline_name)?;
    find_stage(&spec, &input.stage_name, &input.pipeline_name)?;
    let target = input.target_pipeline_execution_id;
    let id = ex
        .engine
        .rollback_stage(
            &key,
            spec,
            &input.stage_name,
            &target,
            Trigger {
                trigger_type: "ManualRollback".into(),
                trigger_detail: ctx.caller_arn(),
            },
        )
        .await
        .map_err(|e| match e {
            crate::engine::EngineError::ExecutionNotFound(_) => {
                E::PipelineExecutionNotFound(super::not_found(&target, &input.pipeline_name))
            }
            other => other.into(),
        })?;
    Ok(RollbackStageOutput {
        pipeline_execution_id: id,
    })
}
