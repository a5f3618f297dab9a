//! SigV4 `Authorization` header parsing. Parsed, not verified: an emulator does not know the
//! secret, so any key is accepted; only the access key, region and service are taken.

/// What the credential scope of a signature names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codepipeline/aws4_request, ...`.
pub fn parse_authorization(header: &str) -> Option<CredentialScope> {
    let (algorithm, rest) = header.split_once(' ')?;
    if !algorithm.starts_with("AWS4-") {
        return None;
    }
    let credential = rest
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))?;
    parse_credential(credential)
}

/// Parses the `AKID/date/region/service/aws4_request` credential (also used by presigned URLs,
/// where it arrives URL-decoded in `X-Amz-Credential`).
pub fn parse_credential(credential: &str) -> Option<CredentialScope> {
    let mut parts = credential.split('/');
    let access_key = parts.next()?.to_string();
    let date = parts.next()?.to_string();
    let region = parts.next()?.to_string();
    let service = parts.next()?.to_string();
    if parts.next()? != "aws4_request" || access_key.is_empty() || region.is_empty() {
        return None;
    }
    Some(CredentialScope {
        access_key,
        date,
        region,
        service,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_botocore_header() {
        let h = "AWS4-HMAC-SHA256 Credential=test/20261128/eu-west-1/codepipeline/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=ba9c71";
        let scope = parse_authorization(h).unwrap();
        assert_eq!(scope.access_key, "test");
        assert_eq!(scope.region, "eu-west-1");
        assert_eq!(scope.service, "codepipeline");
    }

    #[test]
    fn parses_header_without_spaces_after_commas() {
        let h = "AWS4-HMAC-SHA256 Credential=AKID/20261128/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00";
        assert_eq!(parse_authorization(h).unwrap().service, "s3");
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_authorization("Basic Zm9vOmJhcg=="), None);
        assert_eq!(parse_authorization("AWS4-HMAC-SHA256 Credential=a/b"), None);
        assert_eq!(parse_authorization(""), None);
    }
}
