//! ARNs of the resources CodePipeline tags: pipelines, custom action types and webhooks
//! (reference 2.2), built and parsed here and nowhere else.

use super::errors::{CodePipelineError, Result};
use super::model::ActionCategory;
use super::validate::{NAME, PROVIDER, VERSION};

pub fn pipeline(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codepipeline:{region}:{account}:{name}")
}

pub fn custom_action_type(
    region: &str,
    account: &str,
    category: &ActionCategory,
    provider: &str,
    version: &str,
) -> String {
    format!(
        "arn:aws:codepipeline:{region}:{account}:actiontype:Custom/{category}/{provider}/{version}"
    )
}

pub fn webhook(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codepipeline:{region}:{account}:webhook:{name}")
}

/// The resource an ARN names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Pipeline(String),
    CustomActionType {
        category: ActionCategory,
        provider: String,
        version: String,
    },
    Webhook(String),
}

/// A parsed ARN: where the resource lives and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArn {
    pub region: String,
    pub account: String,
    pub resource: Resource,
}

/// Parses an ARN that already matched the model's `ResourceArn` pattern. An ARN whose resource
/// part names no taggable CodePipeline resource is `InvalidArnException`.
pub fn parse(arn: &str) -> Result<ResourceArn> {
    let invalid = || {
        CodePipelineError::InvalidArn(format!(
            "The ARN '{arn}' does not name a CodePipeline pipeline, custom action type or webhook"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, _, region, account, resource] = parts[..] else {
        return Err(invalid());
    };
    if region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let resource = if let Some(rest) = resource.strip_prefix("actiontype:") {
        let segs: Vec<&str> = rest.split('/').collect();
        let ["Custom", category, provider, version] = segs[..] else {
            return Err(invalid());
        };
        let category = ActionCategory::parse(category);
        let ok = crate::protocol::AwsEnum::is_known(&category)
            && provider.len() <= 35
            && PROVIDER.matches_all(provider)
            && version.len() <= 9
            && VERSION.matches_all(version);
        if !ok {
            return Err(invalid());
        }
        Resource::CustomActionType {
            category,
            provider: provider.to_string(),
            version: version.to_string(),
        }
    } else if let Some(name) = resource.strip_prefix("webhook:") {
        if name.len() > 100 || !NAME.matches_all(name) {
            return Err(invalid());
        }
        Resource::Webhook(name.to_string())
    } else {
        if resource.len() > 100 || !NAME.matches_all(resource) {
            return Err(invalid());
        }
        Resource::Pipeline(resource.to_string())
    };
    Ok(ResourceArn {
        region: region.to_string(),
        account: account.to_string(),
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let a = parse(&pipeline("us-east-1", "123456789012", "orders")).unwrap();
        assert_eq!(a.resource, Resource::Pipeline("orders".into()));
        assert_eq!(
            (a.region.as_str(), a.account.as_str()),
            ("us-east-1", "123456789012")
        );
        let a = parse(&custom_action_type(
            "eu-west-1",
            "123456789012",
            &ActionCategory::Build,
            "Jenkins",
            "1",
        ))
        .unwrap();
        assert_eq!(
            a.resource,
            Resource::CustomActionType {
                category: ActionCategory::Build,
                provider: "Jenkins".into(),
                version: "1".into()
            }
        );
        let a = parse(&webhook("us-east-1", "123456789012", "hook")).unwrap();
        assert_eq!(a.resource, Resource::Webhook("hook".into()));
    }

    #[test]
    fn unknown_resources_are_invalid_arns() {
        for arn in [
            "arn:aws:codepipeline:us-east-1:123456789012:foo:bar",
            "arn:aws:codepipeline:us-east-1:123456789012:actiontype:AWS/Build/CodeBuild/1",
            "arn:aws:codepipeline:us-east-1:123456789012:actiontype:Custom/Nope/X/1",
            "arn:aws:codepipeline:us-east-1:123456789012:a/b",
        ] {
            let e = parse(arn).unwrap_err();
            assert_eq!(e.code(), "InvalidArnException", "{arn}");
        }
    }
}
