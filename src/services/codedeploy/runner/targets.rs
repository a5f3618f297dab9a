//! Which containers a deployment group deploys to (pure). "EC2 instances" are running
//! containers labelled `simfra.ec2.tag.<Key>=<Value>` (e.g. the app container of a compose
//! stack); on-premises instances are the registered instances (each backed by a container
//! simfra runs). Tag filters match as the model's `TagFilter` says (a filter list when any
//! filter does, a tag set when every list in it does).

use std::collections::BTreeMap;

use crate::services::codedeploy::model::{matches_any, matches_set, Tag, TagFilter};

/// The label prefix that gives a container an EC2 tag.
pub const EC2_TAG_LABEL: &str = "simfra.ec2.tag.";

/// The EC2 tags a container's labels give it.
pub fn ec2_tags(labels: &BTreeMap<String, String>) -> Vec<Tag> {
    labels
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(EC2_TAG_LABEL).map(|k| Tag {
                key: Some(k.to_string()),
                value: Some(v.clone()),
            })
        })
        .collect()
}

/// Whether an instance with `tags` is selected by a group's filters (any) or tag set (every
/// list).
pub fn selected(filters: &[TagFilter], set: &[Vec<TagFilter>], tags: &[Tag]) -> bool {
    (!filters.is_empty() && matches_any(filters, tags)) || matches_set(set, tags)
}

/// The instance id a container is known by: `i-` and 17 hex digits of its id, the shape of an
/// EC2 instance id.
pub fn instance_id(container_id: &str) -> String {
    let hex: String = container_id
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .take(17)
        .collect();
    format!("i-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_tags_and_ids_look_like_ec2() {
        let labels: BTreeMap<String, String> = [
            ("simfra.ec2.tag.Name".to_string(), "web".to_string()),
            ("other".to_string(), "x".to_string()),
        ]
        .into();
        let tags = ec2_tags(&labels);
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].key.as_deref(), Some("Name"));
        assert_eq!(
            instance_id("0123456789abcdef0123456789"),
            "i-0123456789abcdef0"
        );
        let filter = TagFilter {
            key: Some("Name".into()),
            value: Some("web".into()),
            r#type: Some(crate::services::codedeploy::model::TagFilterType::KeyAndValue),
        };
        assert!(selected(std::slice::from_ref(&filter), &[], &tags));
        assert!(!selected(&[], &[], &tags));
    }
}
