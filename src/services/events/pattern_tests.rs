//! Matcher tests: every operator, the documented behaviour of each (examples written for this
//! file), and the invalid patterns.

use super::*;
use serde_json::json;

fn m(pattern: Value, event: Value) -> bool {
    Pattern::from_value(&pattern)
        .unwrap_or_else(|e| panic!("{pattern} should parse: {e}"))
        .matches(&event)
}

fn invalid(pattern: Value) -> String {
    match Pattern::from_value(&pattern) {
        Ok(_) => panic!("{pattern} should be rejected"),
        Err(e) => e.to_string(),
    }
}

fn ec2_event() -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
        "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
        "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
        "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated",
                   "c-count": 5, "d-count": 3, "x-limit": 301.8,
                   "source-ip": "10.0.0.123", "location": "us-east-1a"}
    })
}

#[test]
fn exact_strings_are_case_sensitive_and_arrays_are_or() {
    let e = ec2_event();
    assert!(m(json!({"source": ["aws.ec2"]}), e.clone()));
    assert!(!m(json!({"source": ["AWS.EC2"]}), e.clone()));
    assert!(m(
        json!({"detail": {"state": ["running", "terminated"]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"state": ["running", "stopped"]}}),
        e.clone()
    ));
    // Every field must match (AND).
    assert!(!m(
        json!({"source": ["aws.ec2"], "detail-type": ["other"]}),
        e.clone()
    ));
    // Fields absent from the pattern are ignored; a field absent from the event fails.
    assert!(!m(json!({"detail": {"missing": ["x"]}}), e));
}

#[test]
fn numbers_booleans_null_and_empty_strings() {
    let e = json!({"detail": {"n": 5.0, "b": true, "z": null, "s": "", "str5": "5"}});
    assert!(m(json!({"detail": {"n": [5]}}), e.clone()));
    assert!(!m(json!({"detail": {"n": ["5"]}}), e.clone()));
    assert!(!m(json!({"detail": {"str5": [5]}}), e.clone()));
    assert!(m(json!({"detail": {"b": [true]}}), e.clone()));
    assert!(!m(json!({"detail": {"b": [false]}}), e.clone()));
    assert!(m(json!({"detail": {"z": [null]}}), e.clone()));
    assert!(!m(json!({"detail": {"s": [null]}}), e.clone()));
    assert!(m(json!({"detail": {"s": [""]}}), e.clone()));
    assert!(!m(json!({"detail": {"z": [""]}}), e));
}

#[test]
fn event_arrays_match_when_any_element_matches() {
    let e = json!({"resources": ["arn:a", "arn:b"], "detail": {"tags": [{"k": "team", "v": "blue"}, {"k": "env", "v": "prod"}]}});
    assert!(m(json!({"resources": ["arn:b"]}), e.clone()));
    assert!(m(json!({"resources": ["arn:x", "arn:a"]}), e.clone()));
    assert!(!m(json!({"resources": ["arn:c"]}), e.clone()));
    assert!(m(
        json!({"detail": {"tags": {"k": ["env"], "v": ["prod"]}}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"tags": {"k": ["env"], "v": ["blue"]}}}),
        e
    ));
}

#[test]
fn nested_fields() {
    let e = json!({"detail": {"execution-trigger": {"trigger-type": "CloudWatchEvent"}}});
    assert!(m(
        json!({"detail": {"execution-trigger": {"trigger-type": ["CloudWatchEvent"]}}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"execution-trigger": {"trigger-type": ["Webhook"]}}}),
        e.clone()
    ));
    // A pattern object where the event has a scalar does not match.
    assert!(!m(
        json!({"detail": {"execution-trigger": {"trigger-type": {"x": ["y"]}}}}),
        e
    ));
}

#[test]
fn prefix_and_suffix() {
    let e = ec2_event();
    assert!(m(json!({"time": [{"prefix": "2017-12-22"}]}), e.clone()));
    assert!(!m(json!({"time": [{"prefix": "2018"}]}), e.clone()));
    assert!(m(
        json!({"detail": {"location": [{"suffix": "-1a"}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"location": [{"suffix": "-1A"}]}}),
        e.clone()
    ));
    // Case-insensitive forms.
    assert!(m(
        json!({"detail": {"location": [{"suffix": {"equals-ignore-case": "-1A"}}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail-type": [{"prefix": {"equals-ignore-case": "ec2 instance"}}]}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail-type": [{"prefix": {"equals-ignore-case": "ec3"}}]}),
        e.clone()
    ));
    // Prefix does not apply to numbers.
    assert!(!m(json!({"detail": {"c-count": [{"prefix": "5"}]}}), e));
    // Documented example: file names ending in .png.
    let s3 = json!({"detail": {"object": {"key": "photos/cat.png"}}});
    assert!(m(
        json!({"detail": {"object": {"key": [{"suffix": ".png"}]}}}),
        s3.clone()
    ));
    assert!(!m(
        json!({"detail": {"object": {"key": [{"suffix": ".jpg"}]}}}),
        s3
    ));
}

#[test]
fn equals_ignore_case() {
    let e = json!({"detail-type": "ec2 instance state-change notification"});
    assert!(m(
        json!({"detail-type": [{"equals-ignore-case": "EC2 Instance State-change Notification"}]}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail-type": [{"equals-ignore-case": "EC2"}]}),
        e
    ));
    assert!(m(
        json!({"x": [{"equals-ignore-case": "ÉTÉ"}]}),
        json!({"x": "été"})
    ));
}

#[test]
fn wildcard() {
    let e = json!({"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders",
                   "key": "dir/sub/file.png", "star": "a*b"});
    assert!(m(
        json!({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}),
        e.clone()
    ));
    assert!(!m(
        json!({"EventBusArn": [{"wildcard": "arn:aws:events:us-west-2:*"}]}),
        e.clone()
    ));
    assert!(m(json!({"key": [{"wildcard": "dir/*.png"}]}), e.clone()));
    assert!(m(json!({"key": [{"wildcard": "*"}]}), e.clone()));
    assert!(!m(json!({"key": [{"wildcard": "dir/*.jpg"}]}), e.clone()));
    assert!(m(
        json!({"key": [{"wildcard": "dir/sub/file.png"}]}),
        e.clone()
    ));
    // An escaped star is a literal star.
    assert!(m(json!({"star": [{"wildcard": "a\\*b"}]}), e.clone()));
    assert!(!m(
        json!({"star": [{"wildcard": "a\\*b"}]}),
        json!({"star": "axxb"})
    ));
    assert!(m(
        json!({"star": [{"wildcard": "a*b"}]}),
        json!({"star": "axxb"})
    ));
    assert!(invalid(json!({"key": [{"wildcard": "a**b"}]})).contains("consecutive"));
}

#[test]
fn anything_but() {
    let e = ec2_event();
    assert!(m(
        json!({"detail": {"state": [{"anything-but": "running"}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"state": [{"anything-but": "terminated"}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"c-count": [{"anything-but": 5}]}}),
        e.clone()
    ));
    // anything-but does not match a missing field.
    assert!(!m(
        json!({"detail": {"missing": [{"anything-but": "x"}]}}),
        e.clone()
    ));
    // prefix / suffix / equals-ignore-case / wildcard forms.
    assert!(!m(
        json!({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"location": [{"anything-but": {"suffix": "1a"}}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"location": [{"anything-but": {"suffix": "1b"}}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED", "X"]}}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"state": [{"anything-but": {"equals-ignore-case": "RUNNING"}}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"state": [{"anything-but": {"wildcard": "term*"}}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"state": [{"anything-but": {"wildcard": ["run*", "stop*"]}}]}}),
        e
    ));
    assert!(invalid(json!({"a": [{"anything-but": ["x", 1]}]}))
        .contains("only strings or only numbers"));
    assert!(
        invalid(json!({"a": [{"anything-but": {"numeric": [">", 1]}}]}))
            .contains("cannot be used inside")
    );
}

#[test]
fn numeric() {
    let e = ec2_event();
    // Documented example: c-count > 0 and <= 5, d-count < 10, x-limit between 0 and 300.
    assert!(m(
        json!({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                                "d-count": [{"numeric": ["<", 10]}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"x-limit": [{"numeric": [">=", 0, "<", 300]}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"x-limit": [{"numeric": [">", 301, "<", 302]}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"c-count": [{"numeric": ["=", 5]}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"c-count": [{"numeric": ["=", 5.5]}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"c-count": [{"numeric": [">", 5]}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"c-count": [{"numeric": [">=", 5]}]}}),
        e.clone()
    ));
    // Numeric never matches strings.
    assert!(!m(json!({"detail": {"state": [{"numeric": [">", 0]}]}}), e));
    assert!(invalid(json!({"a": [{"numeric": [">", "5"]}]})).contains("must be a number"));
    assert!(invalid(json!({"a": [{"numeric": ["~", 5]}]})).contains("not a numeric operator"));
    assert!(invalid(json!({"a": [{"numeric": [">", 1, ">", 2]}]})).contains("same side"));
    assert!(invalid(json!({"a": [{"numeric": [">", 10, "<", 2]}]})).contains("lower bound"));
    assert!(invalid(json!({"a": [{"numeric": [">", 1e10]}]})).contains("range"));
}

#[test]
fn exists() {
    let e = ec2_event();
    assert!(m(
        json!({"detail": {"state": [{"exists": true}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"nope": [{"exists": true}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"nope": [{"exists": false}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"state": [{"exists": false}]}}),
        e.clone()
    ));
    // exists applies to leaves: an object value is not a leaf.
    assert!(!m(json!({"detail": [{"exists": true}]}), e.clone()));
    // A missing parent means a missing leaf.
    assert!(m(json!({"other": {"x": [{"exists": false}]}}), e.clone()));
    assert!(!m(json!({"other": {"x": [{"exists": true}]}}), e));
    // An empty event array holds no leaf.
    assert!(m(json!({"r": [{"exists": false}]}), json!({"r": []})));
    assert!(invalid(json!({"a": [{"exists": "yes"}]})).contains("true or false"));
}

#[test]
fn cidr() {
    let e = ec2_event();
    assert!(m(
        json!({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}),
        e.clone()
    ));
    assert!(!m(
        json!({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}),
        e.clone()
    ));
    assert!(m(
        json!({"detail": {"source-ip": [{"cidr": "0.0.0.0/0"}]}}),
        e
    ));
    assert!(m(
        json!({"ip": [{"cidr": "2001:db8::/32"}]}),
        json!({"ip": "2001:db8:1::5"})
    ));
    assert!(!m(
        json!({"ip": [{"cidr": "2001:db8::/32"}]}),
        json!({"ip": "2001:db9::5"})
    ));
    assert!(!m(
        json!({"ip": [{"cidr": "10.0.0.0/8"}]}),
        json!({"ip": "not-an-ip"})
    ));
    assert!(invalid(json!({"ip": [{"cidr": "10.0.0.0/33"}]})).contains("CIDR"));
    assert!(invalid(json!({"ip": [{"cidr": "10.0.0/8"}]})).contains("CIDR"));
}

#[test]
fn or_at_any_level() {
    let e = ec2_event();
    // Documented shape: one branch on a numeric field, one on another field.
    let p = json!({"source": ["aws.ec2"], "$or": [
        {"detail": {"c-count": [{"numeric": [">", 10]}]}},
        {"detail": {"d-count": [{"numeric": ["<", 5]}]}}
    ]});
    assert!(m(p, e.clone()));
    let p = json!({"detail": {"$or": [{"state": ["running"]}, {"location": ["nowhere"]}]}});
    assert!(!m(p, e.clone()));
    let p = json!({"detail": {"$or": [{"state": ["terminated"]}, {"location": ["nowhere"]}]}});
    assert!(m(p, e));
    assert!(invalid(json!({"$or": [{"a": ["b"]}]})).contains("at least two"));
    assert!(invalid(json!({"$or": "x"})).contains("array of objects"));
}

#[test]
fn codepipeline_failed_rule() {
    let event = json!({"version":"0","id":"x","detail-type":"CodePipeline Pipeline Execution State Change",
        "source":"aws.codepipeline","account":"1","time":"t","region":"us-east-1","resources":["arn:p"],
        "detail":{"pipeline":"p","execution-id":"e","state":"FAILED","version":1}});
    let p = Pattern::parse(r#"{"source":["aws.codepipeline"],"detail-type":["CodePipeline Pipeline Execution State Change"],"detail":{"state":["FAILED"]}}"#).unwrap();
    assert!(p.matches(&event));
}

#[test]
fn invalid_patterns_say_why() {
    assert!(Pattern::parse("not json")
        .unwrap_err()
        .to_string()
        .starts_with("Event pattern is not valid. Reason: "));
    assert!(invalid(json!(["a"])).contains("must be a JSON object"));
    assert!(invalid(json!({})).contains("empty"));
    assert!(invalid(json!({"source": []})).contains("empty array"));
    assert!(invalid(json!({"source": "aws.ec2"})).contains("must be an object or an array"));
    assert!(invalid(json!({"source": [{"bogus": 1}]})).contains("'bogus'"));
    assert!(invalid(json!({"source": [{"prefix": 1}]})).contains("must be a string"));
    assert!(invalid(json!({"source": [["a"]]})).contains("nested array"));
    assert!(
        invalid(json!({"source": [{"prefix": "a", "suffix": "b"}]})).contains("exactly one key")
    );
    assert!(invalid(json!({"detail": {}})).contains("empty object"));
}

#[test]
fn wildcard_engine_edge_cases() {
    assert!(wildcard_match("*", ""));
    assert!(wildcard_match("a*", "a"));
    assert!(wildcard_match("*a*b*", "xxaxxbxx"));
    assert!(!wildcard_match("*a*b", "xxaxxbxxc"));
    assert!(wildcard_match("ab*ab", "abab"));
    assert!(!wildcard_match("ab*ab", "aba"));
}
