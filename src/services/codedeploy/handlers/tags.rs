//! Resource tags by ARN: TagResource, UntagResource, ListTagsForResource, for applications
//! (`arn:aws:codedeploy:{region}:{account}:application:{name}`), deployment groups
//! (`...:deploymentgroup:{application}/{group}`) and custom deployment configurations
//! (`...:deploymentconfig:{name}`; the predefined ones have no tags and take none).

use crate::protocol::RequestContext;
use crate::services::codedeploy::errors::{Code, CodeDeployError as E, Result};
use crate::services::codedeploy::model::*;
use crate::services::codedeploy::state::builtins;
use crate::services::codedeploy::{validate, CodeDeploy};

/// A taggable resource, named by its ARN.
#[derive(Debug, PartialEq, Eq)]
pub struct Resource {
    pub account: String,
    pub region: String,
    pub kind: Kind,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Application(String),
    Group(String, String),
    Config(String),
}

/// Parses a resource ARN: ResourceArnRequiredException when empty, InvalidArnException when
/// it is not an ARN, ArnNotSupportedException for another service or resource type.
pub fn parse_arn(arn: &str) -> Result<Resource> {
    if arn.is_empty() {
        return Err(E::new(
            Code::ResourceArnRequired,
            "A resource ARN is required",
        ));
    }
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || !parts[1].starts_with("aws") {
        return Err(E::new(
            Code::InvalidArn,
            format!("'{arn}' is not a valid ARN"),
        ));
    }
    let unsupported = || {
        E::new(
            Code::ArnNotSupported,
            format!("The ARN {arn} is not supported: CodeDeploy tags applications, deployment groups and deployment configurations"),
        )
    };
    if parts[2] != "codedeploy" || parts.len() != 7 || parts[6].is_empty() {
        return Err(unsupported());
    }
    let (region, account, rest) = (parts[3], parts[4], parts[6]);
    let kind = match parts[5] {
        "application" => Kind::Application(rest.to_string()),
        "deploymentconfig" => Kind::Config(rest.to_string()),
        "deploymentgroup" => match rest.split_once('/') {
            Some((a, g)) if !a.is_empty() && !g.is_empty() => Kind::Group(a.into(), g.into()),
            _ => {
                return Err(E::new(
                    Code::InvalidArn,
                    format!("The deployment group ARN {arn} must end in <application>/<group>"),
                ))
            }
        },
        _ => return Err(unsupported()),
    };
    Ok(Resource {
        account: account.into(),
        region: region.into(),
        kind,
    })
}

fn tags_of(svc: &CodeDeploy, r: &Resource) -> Result<Vec<Tag>> {
    let (a, g) = (r.account.as_str(), r.region.as_str());
    match &r.kind {
        Kind::Application(n) => Ok(svc.state.require_application(a, g, n)?.tags),
        Kind::Group(app, group) => {
            svc.state.require_application(a, g, app)?;
            svc.state
                .group(a, g, app, group)
                .map(|rec| rec.tags)
                .ok_or_else(|| E::group_missing(app, group))
        }
        Kind::Config(n) if builtins::is_builtin(n) => Ok(Vec::new()),
        Kind::Config(n) => svc
            .state
            .custom_config(a, g, n)
            .map(|c| c.tags)
            .ok_or_else(|| E::config_missing(n)),
    }
}

fn set_tags(svc: &CodeDeploy, r: &Resource, tags: Vec<Tag>) -> Result<()> {
    let (a, g) = (r.account.as_str(), r.region.as_str());
    match &r.kind {
        Kind::Application(n) => {
            svc.state
                .modify_application(a, g, n, |rec| rec.tags = tags)?;
        }
        Kind::Group(app, group) => {
            let mut rec = svc
                .state
                .group(a, g, app, group)
                .ok_or_else(|| E::group_missing(app, group))?;
            rec.tags = tags;
            svc.state.replace_group(group, rec)?;
        }
        Kind::Config(n) if builtins::is_builtin(n) => {
            return Err(E::new(
                Code::ArnNotSupported,
                format!("{n} is a predefined deployment configuration and cannot be tagged"),
            ))
        }
        Kind::Config(n) => {
            svc.state.modify_config(a, g, n, |rec| rec.tags = tags)?;
        }
    }
    Ok(())
}

/// Adds tags; a tag whose key the resource has replaces its value.
pub fn tag(svc: &CodeDeploy, _ctx: &RequestContext, input: TagResourceInput) -> Result<Empty> {
    let r = parse_arn(&input.resource_arn)?;
    let new = input.tags.unwrap_or_default();
    if new.is_empty() {
        return Err(E::new(Code::TagRequired, "At least one tag is required"));
    }
    validate::resource_tags(&new)?;
    let mut tags = tags_of(svc, &r)?;
    for t in new {
        match tags.iter_mut().find(|x| x.key == t.key) {
            Some(x) => x.value = t.value,
            None => tags.push(t),
        }
    }
    validate::resource_tags(&tags)?;
    set_tags(svc, &r, tags)?;
    Ok(Empty {})
}

pub fn untag(svc: &CodeDeploy, _ctx: &RequestContext, input: UntagResourceInput) -> Result<Empty> {
    let r = parse_arn(&input.resource_arn)?;
    let keys = input.tag_keys.unwrap_or_default();
    if keys.is_empty() {
        return Err(E::new(
            Code::TagRequired,
            "At least one tag key is required",
        ));
    }
    let mut tags = tags_of(svc, &r)?;
    tags.retain(|t| !keys.iter().any(|k| t.key.as_deref() == Some(k)));
    set_tags(svc, &r, tags)?;
    Ok(Empty {})
}

/// Every tag in one page.
pub fn list(
    svc: &CodeDeploy,
    _ctx: &RequestContext,
    input: ListTagsForResourceInput,
) -> Result<ListTagsForResourceOutput> {
    let r = parse_arn(&input.resource_arn)?;
    Ok(ListTagsForResourceOutput {
        tags: tags_of(svc, &r)?,
        next_token: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_resources() {
        let r = parse_arn(&group_arn("eu-west-1", "123456789012", "shop", "prod")).unwrap();
        assert_eq!(r.region, "eu-west-1");
        assert_eq!(r.account, "123456789012");
        assert_eq!(r.kind, Kind::Group("shop".into(), "prod".into()));
        let r = parse_arn(&application_arn("us-east-1", "1", "a:b")).unwrap();
        assert_eq!(r.kind, Kind::Application("a:b".into()));
        let r = parse_arn(&config_arn("us-east-1", "1", "c")).unwrap();
        assert_eq!(r.kind, Kind::Config("c".into()));
        let code = |arn: &str| parse_arn(arn).unwrap_err().code();
        assert_eq!(code(""), "ResourceArnRequiredException");
        assert_eq!(code("not-an-arn"), "InvalidArnException");
        assert_eq!(code("arn:aws:s3:::bucket"), "ArnNotSupportedException");
        assert_eq!(
            code("arn:aws:codedeploy:us-east-1:1:instance:x"),
            "ArnNotSupportedException"
        );
        assert_eq!(
            code("arn:aws:codedeploy:us-east-1:1:deploymentgroup:nogroup"),
            "InvalidArnException"
        );
    }
}
