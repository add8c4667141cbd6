//! Tests of field errors and the shared validators.

use serde_json::json;

use super::*;

fn check_display(error: FieldError, expected: &str) {
    assert_eq!(error.to_string(), expected);
}

#[test]
fn displays_as_upstream() {
    check_display(
        FieldError::required("spec.containers[0].image", ""),
        "spec.containers[0].image: Required value",
    );
    check_display(
        FieldError::required("metadata.name", "name or generateName is required"),
        "metadata.name: Required value: name or generateName is required",
    );
    check_display(
        FieldError::invalid("spec.replicas", -1, IS_NEGATIVE),
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    );
    check_display(
        FieldError::invalid("metadata.name", "Foo", "bad"),
        "metadata.name: Invalid value: \"Foo\": bad",
    );
    check_display(
        FieldError::invalid("x", Value::Null, "bad"),
        "x: Invalid value: \"null\": bad",
    );
    check_display(
        FieldError::invalid("x", true, "bad"),
        "x: Invalid value: true: bad",
    );
    check_display(
        FieldError::invalid("x", json!(["a", "b"]), "bad"),
        "x: Invalid value: []string{\"a\", \"b\"}: bad",
    );
    check_display(
        FieldError::not_supported("spec.restartPolicy", "Sometimes", &["Always", "OnFailure", "Never"]),
        "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
    );
    check_display(
        FieldError::duplicate("spec.containers[1].name", "a"),
        "spec.containers[1].name: Duplicate value: \"a\"",
    );
    check_display(
        FieldError::forbidden("spec", "pod updates may not change fields"),
        "spec: Forbidden: pod updates may not change fields",
    );
    check_display(
        FieldError::too_long("metadata.annotations", 262144),
        "metadata.annotations: Too long: may not be more than 262144 bytes",
    );
    check_display(
        FieldError::too_many("spec.x", 5, 4),
        "spec.x: Too many: 5: must have at most 4 items",
    );
    check_display(
        FieldError::not_found("spec.x", "y"),
        "spec.x: Not found: \"y\"",
    );
    check_display(
        FieldError::invalid("x", "a\"b\n", "d"),
        "x: Invalid value: \"a\\\"b\\n\": d",
    );
}

fn check_names(f: fn(&str) -> Vec<String>, value: &str, expected: &[&str]) {
    assert_eq!(f(value), expected, "{value:?}");
}

#[test]
fn dns_names() {
    let subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    check_names(is_dns1123_subdomain, "example.com", &[]);
    check_names(is_dns1123_subdomain, "Foo", &[subdomain]);
    check_names(is_dns1123_subdomain, "-a", &[subdomain]);
    let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    check_names(is_dns1123_label, "my-name", &[]);
    check_names(is_dns1123_label, "a.b", &["must not contain dots"]);
    check_names(is_dns1123_label, "A", &[label]);
    let long = "a".repeat(64);
    check_names(
        is_dns1123_label,
        &long,
        &["must be no more than 63 characters"],
    );
    let rfc1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    check_names(is_dns1035_label, "1abc", &[rfc1035]);
    check_names(is_dns1035_label, "abc", &[]);
}

#[test]
fn qualified_names_and_values() {
    check_names(is_qualified_name, "app", &[]);
    check_names(is_qualified_name, "example.com/App_1", &[]);
    check_names(is_qualified_name, "/a", &["prefix part must be non-empty"]);
    check_names(
        is_qualified_name,
        "a/b/c",
        &["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
    );
    check_names(
        is_qualified_name,
        "-a",
        &["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"],
    );
    check_names(is_valid_label_value, "", &[]);
    check_names(
        is_valid_label_value,
        "a b",
        &["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
    );
    check_names(
        is_config_map_key,
        "a b",
        &["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"],
    );
    check_names(is_config_map_key, "..a", &["must not start with '..'"]);
    check_names(is_valid_port_name, "http", &[]);
    check_names(
        is_valid_port_name,
        "80",
        &["must contain at least one letter (a-z)"],
    );
}

#[test]
fn generate_name_prefix() {
    assert!(NameRule::Dns1123Subdomain.check("web-", true).is_empty());
    assert!(!NameRule::Dns1123Subdomain.check("web-", false).is_empty());
    assert_eq!(
        NameRule::PathSegment.check("a/b", false),
        ["may not contain '/'"]
    );
    assert_eq!(
        NameRule::PathSegment.check("..", false),
        ["may not be '..'"]
    );
}

fn messages(errors: Vec<FieldError>) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn object_meta() {
    let check = |meta: Value, namespaced: bool, expected: &[&str]| {
        assert_eq!(
            messages(validate_object_meta(
                &meta,
                namespaced,
                NameRule::Dns1123Subdomain,
                "metadata"
            )),
            expected,
            "{meta}"
        );
    };
    check(json!({"name": "a", "namespace": "default"}), true, &[]);
    check(
        json!({"namespace": "default"}),
        true,
        &["metadata.name: Required value: name or generateName is required"],
    );
    check(
        json!({"name": "a"}),
        true,
        &["metadata.namespace: Required value"],
    );
    check(
        json!({"name": "a", "namespace": "x"}),
        false,
        &["metadata.namespace: Forbidden: not allowed on this type"],
    );
    check(
        json!({"name": "a", "labels": {"a": "b c"}}),
        false,
        &["metadata.labels: Invalid value: \"b c\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
    );
    check(
        json!({"name": "a", "finalizers": ["foo"]}),
        false,
        &["metadata.finalizers[0]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"],
    );
    check(
        json!({"name": "a", "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p"}]}),
        false,
        &["metadata.ownerReferences.uid: Invalid value: \"\": must not be empty"],
    );
    let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
    check(
        json!({"name": "a", "annotations": {"a": big}}),
        false,
        &["metadata.annotations: Too long: may not be more than 262144 bytes"],
    );
}

#[test]
fn object_meta_update() {
    let old = json!({"name": "a", "namespace": "n", "uid": "1", "generation": 2});
    let new = json!({"name": "b", "namespace": "n", "uid": "1", "generation": 1});
    assert_eq!(
        messages(validate_object_meta_update(&new, &old, "metadata")),
        [
            "metadata.generation: Invalid value: 1: must not be decremented",
            "metadata.name: Invalid value: \"b\": field is immutable",
        ]
    );
}
