//! CustomResourceDefinitions: the resources they define are served, validated
//! against their schema, defaulted and pruned, with status and scale
//! subresources and several versions; deleting the definition deletes them.

use std::time::Duration;

use crate::support::{reason, wait_until, Cluster};

pub(crate) const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              mode: {type: string, enum: [fast, safe], default: safe}
              replicas: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
              phase: {type: string}
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;

const WIDGET: &str = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n  replicas: 1\n";

pub(crate) fn with_crd() -> Cluster {
    let cluster = Cluster::start();
    cluster.ok_stdin(&["apply", "-f", "-"], CRD);
    cluster.ok(&[
        "wait",
        "--for=condition=established",
        "crd/widgets.example.com",
        "--timeout=30s",
    ]);
    cluster
}

#[test]
fn custom_objects_are_served_validated_and_defaulted() {
    let cluster = with_crd();
    let resources = cluster.ok(&["api-resources", "--api-group=example.com"]);
    assert!(
        resources.contains("widgets") && resources.contains("wd") && resources.contains("Widget"),
        "{resources}"
    );
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], WIDGET);
    // The schema's default is applied.
    assert_eq!(
        cluster.jsonpath("default", "wd", "w1", "{.spec.mode}"),
        "safe"
    );
    assert_eq!(
        cluster
            .ok(&["get", "widgets", "-n", "default", "-o", "name"])
            .trim(),
        "widget.example.com/w1"
    );
    // Values outside the schema are refused with upstream's message.
    let run = cluster.kubectl_stdin(
        &["apply", "-n", "default", "-f", "-"],
        Some(&WIDGET.replace("size: 3", "size: 20")),
    );
    assert!(!run.success);
    assert!(
        run.stderr.contains("The Widget \"w1\" is invalid")
            && run
                .stderr
                .contains("spec.size: Invalid value: 20: spec.size in body should be less than or equal to 10"),
        "{}",
        run.stderr
    );
    let (code, body) = cluster.http().post_json(
        "/apis/example.com/v1/namespaces/default/widgets",
        r#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w2"},"spec":{"size":"big"}}"#,
    );
    assert_eq!((code, reason(&body).as_str()), (422, "Invalid"), "{body}");
    assert!(
        body.contains("spec.size in body must be of type integer: \\\"string\\\""),
        "{body}"
    );
    // Unknown fields: refused under strict validation, pruned otherwise.
    let unknown = WIDGET.replace("  size: 3\n", "  size: 3\n  extra: 1\n");
    let run = cluster.kubectl_stdin(&["apply", "-n", "default", "-f", "-"], Some(&unknown));
    assert!(!run.success);
    assert!(
        run.stderr.contains("unknown field \"spec.extra\""),
        "{}",
        run.stderr
    );
    cluster.ok_stdin(
        &["apply", "-n", "default", "--validate=false", "-f", "-"],
        &unknown,
    );
    assert_eq!(cluster.jsonpath("default", "wd", "w1", "{.spec.extra}"), "");
    // The same object through the other served version.
    assert_eq!(
        cluster.ok(&[
            "get",
            "widgets.v1beta1.example.com",
            "w1",
            "-n",
            "default",
            "-o",
            "jsonpath={.apiVersion}"
        ]),
        "example.com/v1beta1"
    );
    // The table has the CRD's printer columns.
    let table = cluster.ok(&["get", "wd", "-n", "default"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(header, vec!["NAME", "SIZE"], "{table}");
    let row: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(row, vec!["w1", "3"], "{table}");
    // explain reads the CRD's schema from the OpenAPI v3 document.
    let explained = cluster.ok(&["explain", "widgets.spec"]);
    assert!(
        explained.contains("KIND:       Widget")
            && explained.contains("size\t<integer> -required-")
            && explained.contains("mode\t<string>"),
        "{explained}"
    );
    // `all` includes the category's resources.
    let all = cluster.ok(&["get", "all", "-n", "default", "-o", "name"]);
    assert!(all.contains("widget.example.com/w1"), "{all}");
}

#[test]
fn status_and_scale_subresources() {
    let cluster = with_crd();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], WIDGET);
    // The main resource ignores status; the status subresource takes it.
    cluster.ok(&[
        "patch",
        "wd",
        "w1",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"status":{"phase":"Ready"}}"#,
    ]);
    assert_eq!(
        cluster.jsonpath("default", "wd", "w1", "{.status.phase}"),
        ""
    );
    cluster.ok(&[
        "patch",
        "wd",
        "w1",
        "-n",
        "default",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"phase":"Ready","replicas":1}}"#,
    ]);
    assert_eq!(
        cluster.jsonpath("default", "wd", "w1", "{.status.phase}"),
        "Ready"
    );
    let generation = cluster.jsonpath("default", "wd", "w1", "{.metadata.generation}");
    assert_eq!(generation, "1");
    cluster.ok(&["scale", "wd", "w1", "-n", "default", "--replicas=3"]);
    assert_eq!(
        cluster.jsonpath("default", "wd", "w1", "{.spec.replicas}"),
        "3"
    );
    assert_eq!(
        cluster.jsonpath("default", "wd", "w1", "{.metadata.generation}"),
        "2"
    );
    let scale = cluster.raw("/apis/example.com/v1/namespaces/default/widgets/w1/scale");
    assert_eq!(
        (
            scale["spec"]["replicas"].clone(),
            scale["status"]["replicas"].clone()
        ),
        (3.into(), 1.into())
    );
}

#[test]
fn deleting_the_definition_deletes_its_objects() {
    let cluster = with_crd();
    cluster.ok_stdin(&["apply", "-n", "default", "-f", "-"], WIDGET);
    let crd = cluster.ok(&["get", "crd", "widgets.example.com", "-o", "yaml"]);
    assert!(
        crd.contains("storedVersions") && crd.contains("- v1"),
        "{crd}"
    );
    cluster.ok(&[
        "delete",
        "crd",
        "widgets.example.com",
        "--wait=true",
        "--timeout=30s",
    ]);
    wait_until(
        "the custom resource to stop being served",
        Duration::from_secs(30),
        || {
            cluster
                .http()
                .get("/apis/example.com/v1/namespaces/default/widgets")
                .0
                == 404
        },
    );
    // Defining it again starts empty.
    cluster.ok_stdin(&["apply", "-f", "-"], CRD);
    cluster.ok(&[
        "wait",
        "--for=condition=established",
        "crd/widgets.example.com",
        "--timeout=30s",
    ]);
    assert_eq!(
        cluster.ok(&["get", "widgets", "-n", "default", "-o", "name"]),
        ""
    );
}

#[test]
fn invalid_definitions_are_refused() {
    let cluster = Cluster::start();
    let run = cluster.kubectl_stdin(
        &["apply", "-f", "-"],
        Some(&CRD.replace("name: widgets.example.com", "name: gadgets.example.com")),
    );
    assert!(!run.success);
    assert!(
        run.stderr
            .contains("metadata.name: Invalid value: \"gadgets.example.com\": must be spec.names.plural+\".\"+spec.group"),
        "{}",
        run.stderr
    );
    let run = cluster.kubectl_stdin(
        &["apply", "-f", "-"],
        Some(&CRD.replace("    storage: false\n", "    storage: true\n")),
    );
    assert!(!run.success);
    assert!(
        run.stderr
            .contains("must have exactly one version marked as storage version"),
        "{}",
        run.stderr
    );
}
