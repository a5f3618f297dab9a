//! Validation of the resources besides pipelines: custom action types
//! (`CreateCustomActionType`), action type declarations (`UpdateActionType`) and webhooks
//! (`PutWebhook`). Each function checks the model constraints first (one
//! `ValidationException`), then the resource's own rules.

use std::collections::HashSet;

use crate::protocol::validate::{member, Violations};

use super::{is_lambda_arn, tags_shape, LAMBDA_ARN_PATTERN, NAME, PROVIDER, VERSION};
use crate::services::codepipeline::errors::{CodePipelineError, Result};
use crate::services::codepipeline::model::{
    ActionConfigurationProperty, ActionTypeDeclaration, ActionTypeSettings, ArtifactDetails,
    CreateCustomActionTypeInput, ExecutorType, WebhookAuthenticationType, WebhookDefinition,
};

fn validation(msg: impl Into<String>) -> CodePipelineError {
    CodePipelineError::Validation(msg.into())
}

/// Category, provider and version of an action type id at the top level of a request.
pub fn action_type_id_shape(
    v: &mut Violations,
    prefix: &str,
    category: &impl crate::protocol::AwsEnum,
    provider: &str,
    version: &str,
) {
    v.enumeration(&format!("{prefix}category"), category);
    v.name(&format!("{prefix}provider"), provider, 1, 35, PROVIDER);
    v.name(&format!("{prefix}version"), version, 1, 9, VERSION);
}

fn settings_shape(v: &mut Violations, path: &str, s: &ActionTypeSettings) {
    for (name, value) in [
        (
            "thirdPartyConfigurationUrl",
            &s.third_party_configuration_url,
        ),
        ("entityUrlTemplate", &s.entity_url_template),
        ("executionUrlTemplate", &s.execution_url_template),
        ("revisionUrlTemplate", &s.revision_url_template),
    ] {
        if let Some(u) = value {
            v.length(&format!("{path}.{name}"), u, 1, 2048);
        }
    }
}

fn artifact_details_shape(v: &mut Violations, path: &str, d: &ArtifactDetails, max: i64) {
    v.range(&format!("{path}.minimumCount"), d.minimum_count, 0, max);
    v.range(&format!("{path}.maximumCount"), d.maximum_count, 0, max);
}

/// `CreateCustomActionType`: model constraints, then the rules of the custom action guide
/// (ValidationException: the operation declares no other exception for them).
pub fn custom_action_type(input: &CreateCustomActionTypeInput) -> Result<()> {
    let mut v = Violations::new();
    action_type_id_shape(&mut v, "", &input.category, &input.provider, &input.version);
    if let Some(s) = &input.settings {
        settings_shape(&mut v, "settings", s);
    }
    let props = input
        .configuration_properties
        .as_deref()
        .unwrap_or_default();
    v.list_len("configurationProperties", props.len(), 0, 10);
    for (i, p) in props.iter().enumerate() {
        let m = member("configurationProperties", i);
        v.length(&format!("{m}.name"), &p.name, 1, 50);
        if let Some(d) = &p.description {
            v.length(&format!("{m}.description"), d, 1, 160);
        }
        if let Some(t) = &p.property_type {
            v.enumeration(&format!("{m}.type"), t);
        }
    }
    artifact_details_shape(
        &mut v,
        "inputArtifactDetails",
        &input.input_artifact_details,
        5,
    );
    artifact_details_shape(
        &mut v,
        "outputArtifactDetails",
        &input.output_artifact_details,
        5,
    );
    if let Some(tags) = &input.tags {
        tags_shape(&mut v, "tags", tags);
    }
    v.finish()?;

    for (kind, d) in [
        ("inputArtifactDetails", input.input_artifact_details),
        ("outputArtifactDetails", input.output_artifact_details),
    ] {
        if d.minimum_count > d.maximum_count {
            return Err(validation(format!(
                "{kind}: minimumCount ({}) is greater than maximumCount ({})",
                d.minimum_count, d.maximum_count
            )));
        }
    }
    check_properties(props)?;
    if let Some(s) = &input.settings {
        for template in [
            &s.entity_url_template,
            &s.execution_url_template,
            &s.revision_url_template,
        ]
        .into_iter()
        .flatten()
        {
            check_url_template(template, props)?;
        }
    }
    Ok(())
}

fn check_properties(props: &[ActionConfigurationProperty]) -> Result<()> {
    let mut names = HashSet::new();
    for p in props {
        if !names.insert(p.name.as_str()) {
            return Err(validation(format!(
                "Configuration property '{}' is declared more than once",
                p.name
            )));
        }
    }
    let queryable: Vec<_> = props.iter().filter(|p| p.is_queryable()).collect();
    if queryable.len() > 1 {
        return Err(validation(
            "An action type can have at most one queryable configuration property",
        ));
    }
    if let Some(q) = queryable.first() {
        if !q.required || q.secret {
            return Err(validation(format!(
                "Queryable configuration property '{}' must be required and not secret",
                q.name
            )));
        }
    }
    Ok(())
}

/// `{Config:name}` in a URL template must name a required, non-secret property.
fn check_url_template(template: &str, props: &[ActionConfigurationProperty]) -> Result<()> {
    let mut rest = template;
    while let Some(start) = rest.find("{Config:") {
        let after = &rest[start + "{Config:".len()..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        let ok = props
            .iter()
            .any(|p| p.name == name && p.required && !p.secret);
        if !ok {
            return Err(validation(format!(
                "URL template '{template}' refers to {{Config:{name}}}, which is not a required, non-secret configuration property"
            )));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// `UpdateActionType`'s declaration.
pub fn action_type_declaration(d: &ActionTypeDeclaration) -> Result<()> {
    let mut v = Violations::new();
    let root = "actionType";
    if let Some(desc) = &d.description {
        v.length(&format!("{root}.description"), desc, 1, 1024);
    }
    let ex = format!("{root}.executor");
    v.enumeration(&format!("{ex}.type"), &d.executor.executor_type);
    if let Some(t) = &d.executor.policy_statements_template {
        v.length(&format!("{ex}.policyStatementsTemplate"), t, 1, 2048);
    }
    if let Some(t) = d.executor.job_timeout {
        v.range(&format!("{ex}.jobTimeout"), t, 60, 43200);
    }
    let conf = format!("{ex}.configuration");
    if let Some(l) = &d.executor.configuration.lambda_executor_configuration {
        let p = format!("{conf}.lambdaExecutorConfiguration.lambdaFunctionArn");
        if v.length(&p, &l.lambda_function_arn, 1, 140) {
            v.pattern(
                &p,
                &l.lambda_function_arn,
                is_lambda_arn,
                LAMBDA_ARN_PATTERN,
            );
        }
    }
    if let Some(j) = &d.executor.configuration.job_worker_executor_configuration {
        let jp = format!("{conf}.jobWorkerExecutorConfiguration");
        if let Some(accounts) = &j.polling_accounts {
            let p = format!("{jp}.pollingAccounts");
            v.list_len(&p, accounts.len(), 1, 1000);
            for (i, a) in accounts.iter().enumerate() {
                v.pattern(&member(&p, i), a, is_account_id, "[0-9]{12}");
            }
        }
        if let Some(principals) = &j.polling_service_principals {
            super::string_list(
                &mut v,
                &format!("{jp}.pollingServicePrincipals"),
                principals,
                (1, 10),
                (1, 128),
            );
        }
    }
    let id = format!("{root}.id");
    v.enumeration(&format!("{id}.category"), &d.id.category);
    v.pattern(
        &format!("{id}.owner"),
        &d.id.owner,
        |o| o == "AWS" || o == "ThirdParty",
        "AWS|ThirdParty",
    );
    v.name(&format!("{id}.provider"), &d.id.provider, 1, 35, PROVIDER);
    v.name(&format!("{id}.version"), &d.id.version, 1, 9, VERSION);
    artifact_details_shape(
        &mut v,
        &format!("{root}.inputArtifactDetails"),
        &d.input_artifact_details,
        10,
    );
    artifact_details_shape(
        &mut v,
        &format!("{root}.outputArtifactDetails"),
        &d.output_artifact_details,
        10,
    );
    if let Some(perm) = &d.permissions {
        let p = format!("{root}.permissions.allowedAccounts");
        v.list_len(&p, perm.allowed_accounts.len(), 1, 1000);
        for (i, a) in perm.allowed_accounts.iter().enumerate() {
            v.pattern(
                &member(&p, i),
                a,
                |s| s == "*" || is_account_id(s),
                "[0-9]{12}|\\*",
            );
        }
    }
    if let Some(props) = &d.properties {
        let p = format!("{root}.properties");
        v.list_len(&p, props.len(), 0, 10);
        for (i, prop) in props.iter().enumerate() {
            let m = member(&p, i);
            v.length(&format!("{m}.name"), &prop.name, 1, 50);
            if let Some(desc) = &prop.description {
                v.length(&format!("{m}.description"), desc, 1, 250);
            }
        }
    }
    if let Some(urls) = &d.urls {
        for (name, value) in [
            ("configurationUrl", &urls.configuration_url),
            ("entityUrlTemplate", &urls.entity_url_template),
            ("executionUrlTemplate", &urls.execution_url_template),
            ("revisionUrlTemplate", &urls.revision_url_template),
        ] {
            if let Some(u) = value {
                v.length(&format!("{root}.urls.{name}"), u, 1, 2048);
            }
        }
    }
    v.finish()?;

    let has_lambda = d
        .executor
        .configuration
        .lambda_executor_configuration
        .is_some();
    match d.executor.executor_type {
        ExecutorType::Lambda if !has_lambda => {
            return Err(validation(
                "An executor of type Lambda needs lambdaExecutorConfiguration",
            ))
        }
        ExecutorType::JobWorker if has_lambda => {
            return Err(validation(
                "An executor of type JobWorker takes jobWorkerExecutorConfiguration, not lambdaExecutorConfiguration",
            ))
        }
        _ => {}
    }
    for (kind, a) in [
        ("inputArtifactDetails", d.input_artifact_details),
        ("outputArtifactDetails", d.output_artifact_details),
    ] {
        if a.minimum_count > a.maximum_count {
            return Err(validation(format!(
                "{kind}: minimumCount ({}) is greater than maximumCount ({})",
                a.minimum_count, a.maximum_count
            )));
        }
    }
    if let Some(props) = &d.properties {
        let mut names = HashSet::new();
        if let Some(p) = props.iter().find(|p| !names.insert(p.name.as_str())) {
            return Err(validation(format!(
                "Property '{}' is declared more than once",
                p.name
            )));
        }
        if props.iter().filter(|p| p.queryable == Some(true)).count() > 1 {
            return Err(validation(
                "An action type can have at most one queryable property",
            ));
        }
    }
    Ok(())
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Model constraints of a webhook definition and its tags.
pub fn webhook_shape(
    w: &WebhookDefinition,
    tags: Option<&[crate::services::codepipeline::model::Tag]>,
) -> Result<()> {
    let mut v = Violations::new();
    v.name("webhook.name", &w.name, 1, 100, NAME);
    v.name("webhook.targetPipeline", &w.target_pipeline, 1, 100, NAME);
    v.name("webhook.targetAction", &w.target_action, 1, 100, NAME);
    v.list_len("webhook.filters", w.filters.len(), 0, 5);
    for (i, f) in w.filters.iter().enumerate() {
        let m = member("webhook.filters", i);
        v.length(&format!("{m}.jsonPath"), &f.json_path, 1, 150);
        if let Some(me) = &f.match_equals {
            v.length(&format!("{m}.matchEquals"), me, 1, 150);
        }
    }
    v.enumeration("webhook.authentication", &w.authentication);
    let c = &w.authentication_configuration;
    if let Some(r) = &c.allowed_ip_range {
        v.length(
            "webhook.authenticationConfiguration.AllowedIPRange",
            r,
            1,
            100,
        );
    }
    if let Some(t) = &c.secret_token {
        v.length("webhook.authenticationConfiguration.SecretToken", t, 1, 100);
    }
    if let Some(tags) = tags {
        tags_shape(&mut v, "tags", tags);
    }
    v.finish()?;
    Ok(())
}

/// Authentication parameters that fit the authentication type.
pub fn webhook_authentication(w: &WebhookDefinition) -> Result<()> {
    let c = &w.authentication_configuration;
    let err = |m: &str| {
        Err(CodePipelineError::InvalidWebhookAuthenticationParameters(
            m.into(),
        ))
    };
    match w.authentication {
        WebhookAuthenticationType::GithubHmac if c.secret_token.is_none() => {
            err("GITHUB_HMAC authentication needs a SecretToken")
        }
        WebhookAuthenticationType::Ip => match &c.allowed_ip_range {
            None => err("IP authentication needs an AllowedIPRange"),
            Some(r) if !is_cidr(r) => err(&format!(
                "AllowedIPRange '{r}' is not an IPv4 or IPv6 CIDR block"
            )),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(bits) = bits.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => bits <= 32,
        Ok(std::net::IpAddr::V6(_)) => bits <= 128,
        Err(_) => false,
    }
}

/// Filters: a JSONPath starting at the root, and `{Key}` placeholders in `matchEquals` naming
/// configuration keys of the target action (whose values replace them when events arrive).
pub fn webhook_filters(w: &WebhookDefinition, action_keys: &[&str]) -> Result<()> {
    for f in &w.filters {
        if !f.json_path.starts_with('$') {
            return Err(CodePipelineError::InvalidWebhookFilterPattern(format!(
                "jsonPath '{}' is not a JSONPath expression starting at the root ($)",
                f.json_path
            )));
        }
        let mut rest = f.match_equals.as_deref().unwrap_or_default();
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                return Err(CodePipelineError::InvalidWebhookFilterPattern(format!(
                    "matchEquals '{}' has an unclosed '{{'",
                    f.match_equals.as_deref().unwrap_or_default()
                )));
            };
            let key = &after[..end];
            if !action_keys.contains(&key) {
                return Err(CodePipelineError::InvalidWebhookFilterPattern(format!(
                    "matchEquals refers to {{{key}}}, which is not a configuration key of action '{}'",
                    w.target_action
                )));
            }
            rest = &after[end + 1..];
        }
    }
    Ok(())
}
