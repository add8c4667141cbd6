//! Tests of label and field selectors.

use serde_json::{json, Value};

use super::*;

fn labels(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Parses `text`; checks its string form (or the error) and which label sets match.
fn check_label(
    text: &str,
    expected: Result<&str, &str>,
    matching: &[Value],
    not_matching: &[Value],
) {
    let parsed = LabelSelector::parse(text);
    match expected {
        Ok(normal) => {
            let selector = parsed.unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(selector.to_string(), normal, "{text:?}");
            for m in matching {
                assert!(
                    selector.matches(Some(&labels(m.clone()))),
                    "{text:?} should match {m}"
                );
            }
            for m in not_matching {
                assert!(
                    !selector.matches(Some(&labels(m.clone()))),
                    "{text:?} should not match {m}"
                );
            }
        }
        Err(message) => assert_eq!(parsed, Err(SelectorError(message.to_string())), "{text:?}"),
    }
}

#[test]
fn label_operators() {
    check_label("", Ok(""), &[json!({}), json!({"a": "b"})], &[]);
    check_label(
        "a=b",
        Ok("a=b"),
        &[json!({"a": "b"})],
        &[json!({"a": "c"}), json!({})],
    );
    check_label("a==b", Ok("a==b"), &[json!({"a": "b"})], &[json!({})]);
    check_label(
        "a!=b",
        Ok("a!=b"),
        &[json!({"a": "c"}), json!({})],
        &[json!({"a": "b"})],
    );
    check_label(
        " a in ( b , c ) ",
        Ok("a in (b,c)"),
        &[json!({"a": "c"})],
        &[json!({"a": "d"}), json!({})],
    );
    check_label(
        "a notin (b,c)",
        Ok("a notin (b,c)"),
        &[json!({"a": "d"}), json!({})],
        &[json!({"a": "b"})],
    );
    check_label("a", Ok("a"), &[json!({"a": ""})], &[json!({})]);
    check_label("!a", Ok("!a"), &[json!({})], &[json!({"a": "x"})]);
    check_label(
        "x=1,a",
        Ok("a,x=1"),
        &[json!({"a": "", "x": "1"})],
        &[json!({"x": "1"})],
    );
    check_label(
        "a>1",
        Ok("a>1"),
        &[json!({"a": "2"})],
        &[json!({"a": "1"}), json!({"a": "x"})],
    );
    check_label("a<1", Ok("a<1"), &[json!({"a": "0"})], &[json!({"a": "1"})]);
    check_label("a=", Ok("a="), &[json!({"a": ""})], &[json!({"a": "b"})]);
    check_label("in in (in)", Ok("in in (in)"), &[json!({"in": "in"})], &[]);
    check_label(
        "example.com/app=x",
        Ok("example.com/app=x"),
        &[json!({"example.com/app": "x"})],
        &[],
    );
}

#[test]
fn label_errors() {
    check_label(
        "a=b,",
        Err("found '', expected: identifier after ','"),
        &[],
        &[],
    );
    check_label(
        "a b",
        Err("unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        &[],
        &[],
    );
    check_label(
        "a=b c",
        Err("found 'c', expected: ',' or 'end of string'"),
        &[],
        &[],
    );
    check_label(
        ",",
        Err("found ',', expected: !, identifier, or 'end of string'"),
        &[],
        &[],
    );
    check_label(
        "a in b",
        Err("unable to parse requirement: found 'b' expected: '('"),
        &[],
        &[],
    );
    check_label(
        "a in (b",
        Err("unable to parse requirement: found '', expected: ',' or ')'"),
        &[],
        &[],
    );
    check_label(
        "a (",
        Err("unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
        &[],
        &[],
    );
    check_label("a>x", Err("unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"), &[], &[]);
    check_label(
        "a=b$",
        Err("unable to parse requirement: values[0][a]: Invalid value: \"b$\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
        &[],
        &[],
    );
    check_label(
        "-a",
        Err("unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
        &[],
        &[],
    );
}

#[test]
fn from_api() {
    let check = |selector: Value, expected: Result<&str, &str>| {
        let got = LabelSelector::from_api(&selector).map(|s| s.to_string());
        assert_eq!(
            got,
            expected
                .map(str::to_string)
                .map_err(|e| SelectorError(e.to_string())),
            "{selector}"
        );
    };
    check(json!({"matchLabels": {"app": "web"}}), Ok("app=web"));
    check(
        json!({"matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["b", "a"]},
            {"key": "env", "operator": "NotIn", "values": ["prod"]},
            {"key": "x", "operator": "Exists"},
            {"key": "y", "operator": "DoesNotExist"}
        ]}),
        Ok("env notin (prod),tier in (a,b),x,!y"),
    );
    check(
        json!({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]}),
        Err("\"Equals\" is not a valid label selector operator"),
    );
    check(
        json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}),
        Err("values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"),
    );
    let nothing = LabelSelector::from_api(&Value::Null).expect("null selector");
    assert!(!nothing.matches(Some(&Map::new())));
    assert!(!nothing.is_empty());
    let everything = LabelSelector::from_api(&json!({})).expect("empty selector");
    assert!(everything.is_empty());
    assert!(everything.matches(None));
}

fn check_field(text: &str, expected: Result<&str, &str>) {
    let got = FieldSelector::parse(text).map(|s| s.to_string());
    assert_eq!(
        got,
        expected
            .map(str::to_string)
            .map_err(|e| SelectorError(e.to_string())),
        "{text:?}"
    );
}

#[test]
fn field_selectors() {
    check_field("", Ok(""));
    check_field("metadata.name=a", Ok("metadata.name=a"));
    check_field(
        "status.phase!=Running,metadata.name==a",
        Ok("metadata.name=a,status.phase!=Running"),
    );
    check_field("a=x\\,y,b=c\\=d\\\\", Ok("a=x\\,y,b=c\\=d\\\\"));
    check_field("a", Err("invalid selector: 'a'; can't understand 'a'"));
    check_field(
        "a=b=c",
        Err("invalid field selector: unescaped character in value: 61"),
    );
    check_field(
        "a=b\\x",
        Err("invalid field selector: invalid escape sequence: \\x"),
    );
    check_field(
        "a=b\\",
        Err("invalid field selector: invalid escape sequence: \\"),
    );

    let selector = FieldSelector::parse("metadata.name=x\\,y,spec.nodeName!=n1").expect("parses");
    assert_eq!(selector.exact("metadata.name"), Some("x,y"));
    assert_eq!(selector.exact("spec.nodeName"), None);
    assert_eq!(selector.fields(), ["metadata.name", "spec.nodeName"]);
    let object = |name: &str, node: &str| {
        let (name, node) = (name.to_string(), node.to_string());
        move |field: &str| match field {
            "metadata.name" => Some(name.clone()),
            "spec.nodeName" => Some(node.clone()),
            _ => None,
        }
    };
    assert!(selector.matches(object("x,y", "n2")));
    assert!(!selector.matches(object("x,y", "n1")));
    assert!(!selector.matches(object("x", "n2")));
}
