//! Listing rules, as pure functions of a bucket's state: prefix, delimiter (common prefixes),
//! markers and page sizes for ListObjects/ListObjectsV2, ListObjectVersions and
//! ListMultipartUploads.
//!
//! A page holds at most `max` entries, each key or common prefix counting once. Paging resumes
//! strictly after a marker; a marker that is itself a common prefix skips every key under it.

use std::ops::Bound;

use super::model::{ObjectVersion, UploadRecord};
use super::state::BucketState;

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    /// Resume strictly after this key or common prefix.
    pub after: Option<&'a str>,
    pub max: usize,
}

/// One page of current objects.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub contents: Vec<ObjectVersion>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix on the page (the next marker when truncated).
    pub last: Option<String>,
}

/// The common prefix `key` rolls up into, if any.
fn rollup<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let d = delimiter.filter(|d| !d.is_empty())?;
    let rest = &key[prefix.len()..];
    rest.find(d).map(|i| &key[..prefix.len() + i + d.len()])
}

fn start_bound<'a>(prefix: &'a str, after: Option<&'a str>) -> Bound<&'a str> {
    match after {
        Some(a) if a >= prefix => Bound::Excluded(a),
        _ => Bound::Included(prefix),
    }
}

/// The current (not deleted) objects, as ListObjects and ListObjectsV2 show them.
pub fn list_objects(bucket: &BucketState, q: &ListQuery) -> ListPage {
    let mut page = ListPage::default();
    if q.max == 0 {
        return page;
    }
    let range = bucket
        .objects
        .range::<str, _>((start_bound(q.prefix, q.after), Bound::Unbounded));
    let mut count = 0;
    for (key, versions) in range {
        if !key.starts_with(q.prefix) {
            break;
        }
        let Some(current) = versions.first().filter(|v| !v.delete_marker) else {
            continue;
        };
        let cp = rollup(key, q.prefix, q.delimiter);
        if let Some(cp) = cp {
            if q.after == Some(cp) || page.common_prefixes.last().map(String::as_str) == Some(cp) {
                continue;
            }
        }
        if count == q.max {
            page.truncated = true;
            break;
        }
        count += 1;
        match cp {
            Some(cp) => {
                page.common_prefixes.push(cp.to_string());
                page.last = Some(cp.to_string());
            }
            None => {
                page.contents.push(current.clone());
                page.last = Some(key.clone());
            }
        }
    }
    page
}

/// What ListObjectVersions asks.
#[derive(Debug, Clone, Default)]
pub struct VersionQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: Option<&'a str>,
    pub version_id_marker: Option<&'a str>,
    pub max: usize,
}

#[derive(Debug, Clone, Default)]
pub struct VersionPage {
    /// Versions and delete markers, each with whether it is the current one.
    pub entries: Vec<(ObjectVersion, bool)>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

pub fn list_versions(bucket: &BucketState, q: &VersionQuery) -> VersionPage {
    let mut page = VersionPage::default();
    if q.max == 0 {
        return page;
    }
    // With a version-id marker, listing resumes inside the marker's key.
    let start = match (q.key_marker, q.version_id_marker) {
        (Some(k), Some(_)) if k >= q.prefix => Bound::Included(k),
        (k, _) => start_bound(q.prefix, k),
    };
    let mut count = 0;
    'keys: for (key, versions) in bucket.objects.range::<str, _>((start, Bound::Unbounded)) {
        if !key.starts_with(q.prefix) {
            break;
        }
        if let Some(cp) = rollup(key, q.prefix, q.delimiter) {
            if q.key_marker == Some(cp)
                || page.common_prefixes.last().map(String::as_str) == Some(cp)
            {
                continue;
            }
            if count == q.max {
                page.truncated = true;
                break;
            }
            count += 1;
            page.common_prefixes.push(cp.to_string());
            page.next_key_marker = Some(cp.to_string());
            page.next_version_id_marker = None;
            continue;
        }
        let mut skip_until = match (q.key_marker, q.version_id_marker) {
            (Some(k), Some(vid)) if k == key.as_str() => Some(vid),
            _ => None,
        };
        for (i, v) in versions.iter().enumerate() {
            if let Some(marker) = skip_until {
                if v.version_id == marker {
                    skip_until = None;
                }
                continue;
            }
            if count == q.max {
                page.truncated = true;
                break 'keys;
            }
            count += 1;
            page.entries.push((v.clone(), i == 0));
            page.next_key_marker = Some(key.clone());
            page.next_version_id_marker = Some(v.version_id.clone());
        }
    }
    if !page.truncated {
        page.next_key_marker = None;
        page.next_version_id_marker = None;
    }
    page
}

/// What ListMultipartUploads asks.
#[derive(Debug, Clone, Default)]
pub struct UploadQuery<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: Option<&'a str>,
    pub upload_id_marker: Option<&'a str>,
    pub max: usize,
}

#[derive(Debug, Clone, Default)]
pub struct UploadPage {
    pub uploads: Vec<UploadRecord>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

pub fn list_uploads(bucket: &BucketState, q: &UploadQuery) -> UploadPage {
    let mut all: Vec<&UploadRecord> = bucket
        .uploads
        .values()
        .map(|u| &u.record)
        .filter(|u| u.key.starts_with(q.prefix))
        .collect();
    all.sort_by(|a, b| {
        (&a.key, a.initiated, &a.upload_id).cmp(&(&b.key, b.initiated, &b.upload_id))
    });
    // The marker upload's place in that order, when both markers are given and it exists.
    let marker = q.key_marker.map(|k| {
        let id_pos = q.upload_id_marker.and_then(|id| {
            all.iter()
                .find(|u| u.key == k && u.upload_id == id)
                .map(|u| (u.initiated, u.upload_id.clone()))
        });
        (k, id_pos)
    });
    let mut page = UploadPage::default();
    let mut count = 0;
    for u in all {
        if let Some((k, id_pos)) = &marker {
            let after = match id_pos {
                Some((t, id)) => {
                    u.key.as_str() > *k || (u.key == *k && (u.initiated, &u.upload_id) > (*t, id))
                }
                None => u.key.as_str() > *k,
            };
            if !after {
                continue;
            }
        }
        if let Some(cp) = rollup(&u.key, q.prefix, q.delimiter) {
            if page.common_prefixes.last().map(String::as_str) == Some(cp)
                || q.key_marker == Some(cp)
            {
                continue;
            }
            if count == q.max {
                page.truncated = true;
                break;
            }
            count += 1;
            page.common_prefixes.push(cp.to_string());
            page.next_key_marker = Some(cp.to_string());
            continue;
        }
        if count == q.max {
            page.truncated = true;
            break;
        }
        count += 1;
        page.next_key_marker = Some(u.key.clone());
        page.next_upload_id_marker = Some(u.upload_id.clone());
        page.uploads.push(u.clone());
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::s3::model::{BucketRecord, ContentHeaders, Versioning, NULL_VERSION};

    fn bucket(keys: &[&str]) -> BucketState {
        let mut b = BucketState::new(BucketRecord {
            name: "b".into(),
            region: "us-east-1".into(),
            account: "0".into(),
            created: 0,
            versioning: Versioning::Unversioned,
            tags: None,
            eventbridge: false,
        });
        for (i, k) in keys.iter().enumerate() {
            b.insert(
                ObjectVersion {
                    seq: i as u64 + 1,
                    bucket: "b".into(),
                    key: k.to_string(),
                    version_id: NULL_VERSION.into(),
                    delete_marker: false,
                    blob: None,
                    size: 1,
                    etag: "e".into(),
                    last_modified: 0,
                    headers: ContentHeaders::default(),
                    metadata: Default::default(),
                    tags: vec![],
                    checksum: None,
                    parts: vec![],
                },
                &[],
            );
        }
        b
    }

    fn keys(p: &ListPage) -> Vec<String> {
        p.contents.iter().map(|v| v.key.clone()).collect()
    }

    #[test]
    fn prefixes_delimiters_and_pages() {
        let b = bucket(&["a/1", "a/2", "a/x/3", "b", "c/1", "d"]);
        let all = list_objects(
            &b,
            &ListQuery {
                max: 1000,
                ..Default::default()
            },
        );
        assert_eq!(keys(&all).len(), 6);
        let q = ListQuery {
            delimiter: Some("/"),
            max: 1000,
            ..Default::default()
        };
        let p = list_objects(&b, &q);
        assert_eq!(keys(&p), vec!["b", "d"]);
        assert_eq!(p.common_prefixes, vec!["a/", "c/"]);
        let q = ListQuery {
            prefix: "a/",
            delimiter: Some("/"),
            max: 1000,
            ..Default::default()
        };
        let p = list_objects(&b, &q);
        assert_eq!(keys(&p), vec!["a/1", "a/2"]);
        assert_eq!(p.common_prefixes, vec!["a/x/"]);

        // Two per page, resuming after each page's last entry.
        let mut after: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let q = ListQuery {
                delimiter: Some("/"),
                after: after.as_deref(),
                max: 2,
                ..Default::default()
            };
            let p = list_objects(&b, &q);
            seen.extend(keys(&p));
            seen.extend(p.common_prefixes.clone());
            if !p.truncated {
                break;
            }
            after = p.last.clone();
        }
        seen.sort();
        assert_eq!(seen, vec!["a/", "b", "c/", "d"]);
    }

    #[test]
    fn version_paging() {
        let mut b = bucket(&["k", "m"]);
        b.record.versioning = Versioning::Enabled;
        let mut v = b.current("k").unwrap().clone();
        v.seq = 10;
        v.version_id = "v2".into();
        b.insert(v, &[]);
        let q = VersionQuery {
            max: 2,
            ..Default::default()
        };
        let p = list_versions(&b, &q);
        assert_eq!(p.entries.len(), 2);
        assert!(p.entries[0].1 && !p.entries[1].1);
        assert!(p.truncated);
        let q = VersionQuery {
            key_marker: p.next_key_marker.as_deref(),
            version_id_marker: p.next_version_id_marker.as_deref(),
            max: 2,
            ..Default::default()
        };
        let p = list_versions(&b, &q);
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entries[0].0.key, "m");
        assert!(!p.truncated);
    }
}
