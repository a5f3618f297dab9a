//! Thin handlers, one per control-plane operation: check the request's model constraints,
//! make one call into the state, shape the output.

use crate::protocol::validate::{member, Violations};
use crate::protocol::RequestContext;

use super::arn;
use super::catalog;
use super::errors::{CodePipelineError, Result};
use super::model::*;
use super::paging;
use super::validate::{
    self, check_tag_keys, check_tags, merge_tags, resources, shape, tags_shape, NAME,
    RESOURCE_ARN_PATTERN,
};
use super::CodePipeline;

/// Items per page when the caller does not say.
const DEFAULT_PAGE: i64 = 100;

fn page_size(max: Option<i64>) -> usize {
    max.unwrap_or(DEFAULT_PAGE) as usize
}

fn decode_token(token: Option<&String>) -> Result<Option<String>> {
    token.map(|t| paging::decode(t)).transpose()
}

// ---- pipelines ----------------------------------------------------------------------------

pub fn create_pipeline(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: CreatePipelineInput,
) -> Result<CreatePipelineOutput> {
    let mut v = Violations::new();
    shape::pipeline(&mut v, &input.pipeline, "pipeline");
    if let Some(tags) = &input.tags {
        tags_shape(&mut v, "tags", tags);
    }
    v.finish()?;
    let echo_tags = input.tags.is_some();
    let created = svc.state.create_pipeline(
        &ctx.account_id,
        &ctx.region,
        input.pipeline,
        input.tags.unwrap_or_default(),
    )?;
    // engine: AWS starts the first execution of a new pipeline (trigger `CreatePipeline`,
    // triggerDetail = the caller's ARN); the observer hook hands the stored declaration over.
    svc.observer()
        .pipeline_created(ctx, &created.stored, &created.metadata);
    Ok(CreatePipelineOutput {
        pipeline: created.shown,
        tags: echo_tags.then_some(created.tags),
    })
}

pub fn get_pipeline(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: GetPipelineInput,
) -> Result<GetPipelineOutput> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 100, NAME);
    if let Some(version) = input.version {
        v.range("version", version, 1, i64::MAX);
    }
    v.finish()?;
    let (pipeline, metadata) =
        svc.state
            .get_pipeline(&ctx.account_id, &ctx.region, &input.name, input.version)?;
    Ok(GetPipelineOutput { pipeline, metadata })
}

pub fn update_pipeline(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: UpdatePipelineInput,
) -> Result<UpdatePipelineOutput> {
    let mut v = Violations::new();
    shape::pipeline(&mut v, &input.pipeline, "pipeline");
    v.finish()?;
    let entry = svc
        .state
        .update_pipeline(&ctx.account_id, &ctx.region, input.pipeline)?;
    // engine: running executions of the old version finish their running actions and end
    // Cancelled (reference 2.5); UpdatePipeline itself starts no execution.
    svc.observer().pipeline_updated(ctx, &entry.stored);
    Ok(UpdatePipelineOutput {
        pipeline: entry.shown,
    })
}

pub fn delete_pipeline(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: DeletePipelineInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 100, NAME);
    v.finish()?;
    if svc
        .state
        .delete_pipeline(&ctx.account_id, &ctx.region, &input.name)?
    {
        // engine: the pipeline's executions, state and jobs go with it.
        svc.observer()
            .pipeline_deleted(&ctx.account_id, &ctx.region, &input.name);
    }
    Ok(Empty {})
}

pub fn list_pipelines(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: ListPipelinesInput,
) -> Result<ListPipelinesOutput> {
    let mut v = Violations::new();
    validate::next_token(&mut v, "nextToken", input.next_token.as_ref());
    validate::max_results(&mut v, "maxResults", input.max_results, 1000);
    v.finish()?;
    let after = decode_token(input.next_token.as_ref())?;
    let (pipelines, next_token) = svc.state.list_pipelines(
        &ctx.account_id,
        &ctx.region,
        after.as_deref(),
        page_size(input.max_results),
    );
    Ok(ListPipelinesOutput {
        pipelines,
        next_token,
    })
}

// ---- tags ---------------------------------------------------------------------------------

fn resource_arn_shape(v: &mut Violations, arn_text: &str) {
    v.pattern(
        "resourceArn",
        arn_text,
        validate::is_resource_arn,
        RESOURCE_ARN_PATTERN,
    );
}

pub fn tag_resource(
    svc: &CodePipeline,
    _ctx: &RequestContext,
    input: TagResourceInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    resource_arn_shape(&mut v, &input.resource_arn);
    tags_shape(&mut v, "tags", &input.tags);
    v.finish()?;
    let target = arn::parse(&input.resource_arn)?;
    check_tags(&input.tags)?;
    svc.state.retag(&target, &input.resource_arn, |current| {
        merge_tags(current, &input.tags)
    })?;
    Ok(Empty {})
}

pub fn untag_resource(
    svc: &CodePipeline,
    _ctx: &RequestContext,
    input: UntagResourceInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    resource_arn_shape(&mut v, &input.resource_arn);
    for (i, k) in input.tag_keys.iter().enumerate() {
        v.length(&member("tagKeys", i), k, 1, 128);
    }
    v.finish()?;
    let target = arn::parse(&input.resource_arn)?;
    check_tag_keys(input.tag_keys.iter().map(String::as_str))?;
    svc.state.retag(&target, &input.resource_arn, |current| {
        Ok(current
            .iter()
            .filter(|t| !input.tag_keys.contains(&t.key))
            .cloned()
            .collect())
    })?;
    Ok(Empty {})
}

pub fn list_tags_for_resource(
    svc: &CodePipeline,
    _ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput> {
    let mut v = Violations::new();
    resource_arn_shape(&mut v, &input.resource_arn);
    validate::next_token(&mut v, "nextToken", input.next_token.as_ref());
    validate::max_results(&mut v, "maxResults", input.max_results, 100);
    v.finish()?;
    let target = arn::parse(&input.resource_arn)?;
    let after = decode_token(input.next_token.as_ref())?;
    let tags = svc.state.tags(&target, &input.resource_arn)?;
    let start = match after {
        Some(k) => {
            tags.iter()
                .position(|t| t.key == k)
                .ok_or(CodePipelineError::InvalidNextToken)?
                + 1
        }
        None => 0,
    };
    let (tags, next_token) = paging::page(
        tags[start..].iter().map(|t| (t.key.as_str(), t.clone())),
        page_size(input.max_results),
    );
    Ok(ListTagsForResourceOutput { tags, next_token })
}

// ---- action and rule types ----------------------------------------------------------------

pub fn list_action_types(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: ListActionTypesInput,
) -> Result<ListActionTypesOutput> {
    let mut v = Violations::new();
    if let Some(o) = &input.action_owner_filter {
        v.enumeration("actionOwnerFilter", o);
    }
    validate::next_token(&mut v, "nextToken", input.next_token.as_ref());
    if let Some(r) = &input.region_filter {
        v.length("regionFilter", r, 4, 30);
    }
    v.finish()?;
    let after = decode_token(input.next_token.as_ref())?;
    // Decision: `regionFilter` selects the region whose custom action types are listed (the
    // built-in catalogue is the same in every region).
    let region = input.region_filter.as_deref().unwrap_or(&ctx.region);
    let types =
        svc.state
            .list_action_types(&ctx.account_id, region, input.action_owner_filter.as_ref());
    let (action_types, next_token) = paging::page(
        types
            .iter()
            .filter(|(k, _)| after.as_deref().is_none_or(|a| k.as_str() > a))
            .map(|(k, t)| (k.as_str(), t.clone())),
        DEFAULT_PAGE as usize,
    );
    Ok(ListActionTypesOutput {
        action_types,
        next_token,
    })
}

pub fn create_custom_action_type(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: CreateCustomActionTypeInput,
) -> Result<CreateCustomActionTypeOutput> {
    resources::custom_action_type(&input)?;
    let echo_tags = input.tags.is_some();
    let (action_type, tags) =
        svc.state
            .create_custom_action_type(&ctx.account_id, &ctx.region, input)?;
    Ok(CreateCustomActionTypeOutput {
        action_type,
        tags: echo_tags.then_some(tags),
    })
}

pub fn delete_custom_action_type(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: DeleteCustomActionTypeInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    resources::action_type_id_shape(&mut v, "", &input.category, &input.provider, &input.version);
    v.finish()?;
    svc.state.delete_custom_action_type(
        &ctx.account_id,
        &ctx.region,
        &input.category,
        &input.provider,
        &input.version,
    )?;
    Ok(Empty {})
}

pub fn get_action_type(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: GetActionTypeInput,
) -> Result<GetActionTypeOutput> {
    let mut v = Violations::new();
    resources::action_type_id_shape(&mut v, "", &input.category, &input.provider, &input.version);
    v.pattern(
        "owner",
        &input.owner,
        |o| o == "AWS" || o == "ThirdParty",
        "AWS|ThirdParty",
    );
    v.finish()?;
    let action_type = svc.state.get_action_type(
        &ctx.account_id,
        &ctx.region,
        &input.category,
        &input.owner,
        &input.provider,
        &input.version,
    )?;
    Ok(GetActionTypeOutput { action_type })
}

pub fn update_action_type(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: UpdateActionTypeInput,
) -> Result<Empty> {
    resources::action_type_declaration(&input.action_type)?;
    svc.state
        .update_action_type(&ctx.account_id, &ctx.region, input.action_type)?;
    Ok(Empty {})
}

pub fn list_rule_types(
    _svc: &CodePipeline,
    _ctx: &RequestContext,
    input: ListRuleTypesInput,
) -> Result<ListRuleTypesOutput> {
    let mut v = Violations::new();
    if let Some(o) = &input.rule_owner_filter {
        v.enumeration("ruleOwnerFilter", o);
    }
    if let Some(r) = &input.region_filter {
        v.length("regionFilter", r, 4, 30);
    }
    v.finish()?;
    Ok(ListRuleTypesOutput {
        rule_types: catalog::rule_types()
            .iter()
            .map(|r| r.rule_type())
            .collect(),
    })
}

// ---- webhooks -----------------------------------------------------------------------------

pub fn put_webhook(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: PutWebhookInput,
) -> Result<PutWebhookOutput> {
    resources::webhook_shape(&input.webhook, input.tags.as_deref())?;
    let webhook = svc.state.put_webhook(
        &ctx.account_id,
        &ctx.region,
        &ctx.host,
        input.webhook,
        input.tags.unwrap_or_default(),
    )?;
    Ok(PutWebhookOutput { webhook })
}

pub fn list_webhooks(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: ListWebhooksInput,
) -> Result<ListWebhooksOutput> {
    let mut v = Violations::new();
    validate::next_token(&mut v, "NextToken", input.next_token.as_ref());
    validate::max_results(&mut v, "MaxResults", input.max_results, 100);
    v.finish()?;
    let after = decode_token(input.next_token.as_ref())?;
    let (webhooks, next_token) = svc.state.list_webhooks(
        &ctx.account_id,
        &ctx.region,
        after.as_deref(),
        page_size(input.max_results),
    );
    Ok(ListWebhooksOutput {
        webhooks,
        next_token,
    })
}

pub fn delete_webhook(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: DeleteWebhookInput,
) -> Result<Empty> {
    let mut v = Violations::new();
    v.name("name", &input.name, 1, 100, NAME);
    v.finish()?;
    svc.state
        .delete_webhook(&ctx.account_id, &ctx.region, &input.name)?;
    Ok(Empty {})
}

fn set_registered(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: WebhookNameInput,
    registered: bool,
) -> Result<Empty> {
    let mut v = Violations::new();
    // The model leaves `webhookName` optional, but there is nothing to register without it.
    if v.required("webhookName", &input.webhook_name) {
        v.name(
            "webhookName",
            input.webhook_name.as_deref().unwrap_or_default(),
            1,
            100,
            NAME,
        );
    }
    v.finish()?;
    svc.state.set_webhook_registered(
        &ctx.account_id,
        &ctx.region,
        input.webhook_name.as_deref().unwrap_or_default(),
        registered,
    )?;
    Ok(Empty {})
}

pub fn register_webhook_with_third_party(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: WebhookNameInput,
) -> Result<Empty> {
    set_registered(svc, ctx, input, true)
}

pub fn deregister_webhook_with_third_party(
    svc: &CodePipeline,
    ctx: &RequestContext,
    input: WebhookNameInput,
) -> Result<Empty> {
    set_registered(svc, ctx, input, false)
}
