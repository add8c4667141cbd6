//! Pod fields by path (`fieldRef`), as upstream's `fieldpath` package and the
//! kubelet's `podFieldSelectorRuntimeValue` give them to env variables and
//! downward API volume files.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ObjectFieldSelector, Pod};

/// What the kubelet knows of a pod beyond its object: its IPs as the
/// network plugin gave them and the node's own IPs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Addresses<'a> {
    /// The pod's IPs, the first being `status.podIP`.
    pub pod_ips: &'a [String],
    /// The node's IPs, the first being `status.hostIP`.
    pub host_ips: &'a [String],
}

/// Checks the API version and field path of a selector as upstream's
/// `ConvertDownwardAPIFieldLabel` does, giving the path to read.
fn convert_label(api_version: &str, label: &str) -> Result<String, String> {
    if !api_version.is_empty() && api_version != "v1" {
        return Err(format!("unsupported pod version: {api_version}"));
    }
    if let Some((path, _)) = split_subscript(label) {
        return match path {
            "metadata.annotations" | "metadata.labels" => Ok(label.to_string()),
            _ => Err(format!("field label does not support subscript: {label}")),
        };
    }
    match label {
        "metadata.annotations"
        | "metadata.labels"
        | "metadata.name"
        | "metadata.namespace"
        | "metadata.uid"
        | "spec.nodeName"
        | "spec.restartPolicy"
        | "spec.serviceAccountName"
        | "spec.schedulerName"
        | "status.phase"
        | "status.hostIP"
        | "status.hostIPs"
        | "status.podIP"
        | "status.podIPs" => Ok(label.to_string()),
        // Old v1 clients send spec.host.
        "spec.host" => Ok("spec.nodeName".to_string()),
        _ => Err(format!("field label not supported: {label}")),
    }
}

/// The value of an env variable's `fieldRef`: every field upstream's
/// kubelet serves, including the node's and pod's IPs.
pub fn env_value(
    selector: &ObjectFieldSelector,
    pod: &Pod,
    addresses: Addresses<'_>,
) -> Result<String, String> {
    let path = convert_label(
        selector.api_version.as_deref().unwrap_or("v1"),
        &selector.field_path,
    )?;
    let spec = pod.spec.as_ref();
    Ok(match path.as_str() {
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "status.hostIP" => match addresses.host_ips.first() {
            Some(ip) => ip.clone(),
            None => return Err("no host IP known for this node".to_string()),
        },
        "status.hostIPs" => {
            if addresses.host_ips.is_empty() {
                return Err("no host IP known for this node".to_string());
            }
            addresses.host_ips.join(",")
        }
        "status.podIP" => addresses.pod_ips.first().cloned().unwrap_or_default(),
        "status.podIPs" => addresses.pod_ips.join(","),
        _ => return metadata_value(pod, &path),
    })
}

/// A `metadata.*` field of a pod as upstream's `ExtractFieldPathAsString`
/// gives it: the only fields downward API volume files may name.
pub fn metadata_value(pod: &Pod, path: &str) -> Result<String, String> {
    let meta = &pod.metadata;
    let empty = BTreeMap::new();
    let labels = meta.labels.as_ref().unwrap_or(&empty);
    let annotations = meta.annotations.as_ref().unwrap_or(&empty);
    if let Some((field, key)) = split_subscript(path) {
        return match field {
            "metadata.annotations" => {
                check_key(path, &key.to_lowercase())?;
                Ok(annotations.get(key).cloned().unwrap_or_default())
            }
            "metadata.labels" => {
                check_key(path, key)?;
                Ok(labels.get(key).cloned().unwrap_or_default())
            }
            _ => Err(format!("fieldPath {path:?} does not support subscript")),
        };
    }
    match path {
        "metadata.annotations" => Ok(format_map(annotations)),
        "metadata.labels" => Ok(format_map(labels)),
        "metadata.name" => Ok(meta.name.clone().unwrap_or_default()),
        "metadata.namespace" => Ok(meta.namespace.clone().unwrap_or_default()),
        "metadata.uid" => Ok(meta.uid.clone().unwrap_or_default()),
        _ => Err(format!("unsupported fieldPath: {path}")),
    }
}

fn check_key(path: &str, key: &str) -> Result<(), String> {
    let errs = api::validation::is_qualified_name(key);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "invalid key subscript in {path}: {}",
            errs.join(";")
        ))
    }
}

/// `metadata.labels['key']` → (`metadata.labels`, `key`).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (field, key) = inner.split_once("['")?;
    if field.is_empty() {
        return None;
    }
    Some((field, key))
}

/// Labels or annotations as one text: `key="value"` lines sorted by key,
/// values quoted as Go's `%q` quotes them.
pub fn format_map(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A string quoted as Go's `strconv.Quote` does: printable characters kept,
/// `"` and `\` escaped, control characters as `\n`, `\t`, `\xNN` or `\uNNNN`.
fn go_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn pod() -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some("web-0".into()),
                namespace: Some("shop".into()),
                uid: Some("1234-abcd".into()),
                labels: Some(BTreeMap::from([
                    ("app".into(), "web".into()),
                    ("tier".into(), "front end".into()),
                ])),
                annotations: Some(BTreeMap::from([(
                    "example.com/note".into(),
                    "say \"hi\"\n".into(),
                )])),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some("node-1".into()),
                service_account_name: Some("builder".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn field(path: &str) -> Result<String, String> {
        let selector = ObjectFieldSelector {
            api_version: Some("v1".into()),
            field_path: path.into(),
        };
        let pod_ips = ["10.42.0.7".to_string(), "fd00::7".to_string()];
        let host_ips = ["192.168.1.5".to_string()];
        env_value(
            &selector,
            &pod(),
            Addresses {
                pod_ips: &pod_ips,
                host_ips: &host_ips,
            },
        )
    }

    #[test]
    fn pod_fields() {
        assert_eq!(field("metadata.name").unwrap(), "web-0");
        assert_eq!(field("metadata.namespace").unwrap(), "shop");
        assert_eq!(field("metadata.uid").unwrap(), "1234-abcd");
        assert_eq!(field("metadata.labels['app']").unwrap(), "web");
        assert_eq!(field("metadata.labels['missing']").unwrap(), "");
        assert_eq!(
            field("metadata.annotations['example.com/note']").unwrap(),
            "say \"hi\"\n"
        );
        assert_eq!(
            field("metadata.labels").unwrap(),
            "app=\"web\"\ntier=\"front end\""
        );
        assert_eq!(
            field("metadata.annotations").unwrap(),
            "example.com/note=\"say \\\"hi\\\"\\n\""
        );
        assert_eq!(field("spec.nodeName").unwrap(), "node-1");
        assert_eq!(field("spec.host").unwrap(), "node-1");
        assert_eq!(field("spec.serviceAccountName").unwrap(), "builder");
        assert_eq!(field("status.podIP").unwrap(), "10.42.0.7");
        assert_eq!(field("status.podIPs").unwrap(), "10.42.0.7,fd00::7");
        assert_eq!(field("status.hostIP").unwrap(), "192.168.1.5");
        assert_eq!(field("status.hostIPs").unwrap(), "192.168.1.5");
    }

    #[test]
    fn unsupported_fields_fail_as_upstream() {
        assert_eq!(
            field("spec.containers").unwrap_err(),
            "field label not supported: spec.containers"
        );
        assert_eq!(
            field("status.phase").unwrap_err(),
            "unsupported fieldPath: status.phase"
        );
        assert_eq!(
            field("metadata.name['x']").unwrap_err(),
            "field label does not support subscript: metadata.name['x']"
        );
        assert!(field("metadata.labels['not a key']")
            .unwrap_err()
            .starts_with("invalid key subscript in metadata.labels['not a key']: "));
        let selector = ObjectFieldSelector {
            api_version: Some("v2".into()),
            field_path: "metadata.name".into(),
        };
        assert_eq!(
            env_value(&selector, &pod(), Addresses::default()).unwrap_err(),
            "unsupported pod version: v2"
        );
    }

    #[test]
    fn quotes_as_go() {
        assert_eq!(go_quote("plain"), "\"plain\"");
        assert_eq!(go_quote("tab\there"), "\"tab\\there\"");
        assert_eq!(go_quote("\u{1}é"), "\"\\x01é\"");
        assert_eq!(go_quote("back\\slash"), "\"back\\\\slash\"");
    }
}
