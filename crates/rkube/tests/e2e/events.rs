//! Events: recorded through either API version, listed by kubectl, and shown
//! by `kubectl describe` for the object they are about.

use crate::support::Cluster;

#[test]
fn describe_shows_the_events_of_an_object() {
    let cluster = Cluster::start();
    cluster.ok_stdin(
        &["apply", "-n", "default", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: busybox\n",
    );
    let uid = cluster.jsonpath("default", "pod", "web", "{.metadata.uid}");
    // One event through events.k8s.io/v1, as components record them...
    cluster.ok_stdin(
        &["create", "-n", "default", "-f", "-"],
        &format!(
            "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: web.1\neventTime: \"2026-01-01T00:00:00.000000Z\"\nreportingController: test/scheduler\nreportingInstance: test-1\naction: Binding\nreason: Scheduled\nnote: Successfully assigned default/web to n1\ntype: Normal\nregarding:\n  apiVersion: v1\n  kind: Pod\n  name: web\n  namespace: default\n  uid: {uid}\n"
        ),
    );
    // ... and one through core/v1, as older clients do.
    cluster.ok_stdin(
        &["create", "-n", "default", "-f", "-"],
        &format!(
            "apiVersion: v1\nkind: Event\nmetadata:\n  name: web.2\ninvolvedObject:\n  apiVersion: v1\n  kind: Pod\n  name: web\n  namespace: default\n  uid: {uid}\nreason: Pulling\nmessage: Pulling image busybox\ntype: Normal\ncount: 3\nfirstTimestamp: \"2026-01-01T00:00:01Z\"\nlastTimestamp: \"2026-01-01T00:00:05Z\"\nsource:\n  component: kubelet\n"
        ),
    );
    let described = cluster.ok(&["describe", "pod", "web", "-n", "default"]);
    let events = described
        .split("Events:")
        .nth(1)
        .unwrap_or_else(|| panic!("no Events section:\n{described}"));
    assert!(
        events.contains("Scheduled") && events.contains("Successfully assigned default/web to n1"),
        "{described}"
    );
    assert!(
        events.contains("Pulling") && events.contains("Pulling image busybox"),
        "{described}"
    );
    let listed = cluster.ok(&["get", "events", "-n", "default"]);
    assert!(
        listed.contains("pod/web") && listed.contains("Scheduled"),
        "{listed}"
    );
}
