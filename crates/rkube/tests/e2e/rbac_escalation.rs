//! RBAC escalation prevention: a user who may write roles and bindings may
//! grant only what they hold, unless they have `escalate` (roles) or `bind`
//! (bindings) on the role; `system:masters` is exempt. The requests act as
//! `alice` through impersonation (`kubectl --as`, `Impersonate-User`).

use crate::support::{reason, Cluster, Run};

const MANAGER: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: manager
  namespace: team
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, list, create, update, patch, delete]
- apiGroups: [""]
  resources: [pods, configmaps]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-manager
  namespace: team
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: manager}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
"#;

const NOT_HELD: &str = "user \"alice\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:";

fn as_alice(cluster: &Cluster, args: &[&str]) -> Run {
    let mut all = vec!["--as=alice", "-n", "team"];
    all.extend_from_slice(args);
    cluster.kubectl(&all)
}

#[track_caller]
fn alice_ok(cluster: &Cluster, args: &[&str]) {
    let run = as_alice(cluster, args);
    assert!(run.success, "{args:?}: {}{}", run.stdout, run.stderr);
}

#[track_caller]
fn alice_refused(cluster: &Cluster, args: &[&str]) -> String {
    let run = as_alice(cluster, args);
    assert!(!run.success, "{args:?} should be refused: {}", run.stdout);
    run.stderr
}

#[test]
fn roles_and_bindings_grant_only_what_the_user_holds() {
    let cluster = Cluster::start();
    cluster.namespace("team");
    cluster.ok_stdin(&["apply", "-f", "-"], MANAGER);

    // A role within alice's own permissions, and one beyond them.
    alice_ok(
        &cluster,
        &[
            "create",
            "role",
            "pod-reader",
            "--verb=get",
            "--resource=pods",
        ],
    );
    let refused = alice_refused(
        &cluster,
        &[
            "create",
            "role",
            "secret-reader",
            "--verb=get,list",
            "--resource=secrets",
        ],
    );
    assert!(
        refused.contains(&format!(
            "roles.rbac.authorization.k8s.io \"secret-reader\" is forbidden: {NOT_HELD}\n{{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}}"
        )),
        "{refused}"
    );
    // The same on the wire: 403 Forbidden.
    let role = r#"{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"secret-reader"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]},{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","watch"]}]}"#;
    let (code, body) = cluster.http().send_with(
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team/roles",
        &[
            ("Content-Type", "application/json"),
            ("Impersonate-User", "alice"),
        ],
        Some(role.as_bytes().to_vec()),
    );
    assert_eq!(code, 403, "{body}");
    assert_eq!(reason(&body), "Forbidden");
    let status: serde_json::Value = serde_json::from_str(&body).expect("status");
    assert_eq!(
        status["message"],
        format!("roles.rbac.authorization.k8s.io \"secret-reader\" is forbidden: {NOT_HELD}\n{{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"watch\"]}}\n{{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}}")
    );

    // Updates are checked too, except those only the garbage collector makes.
    let widen = r#"[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}}]"#;
    let refused = alice_refused(
        &cluster,
        &["patch", "role", "pod-reader", "--type=json", "-p", widen],
    );
    assert!(refused.contains(NOT_HELD), "{refused}");
    alice_ok(
        &cluster,
        &[
            "patch",
            "role",
            "pod-reader",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":["example.com/hold"]}}"#,
        ],
    );
    alice_ok(
        &cluster,
        &[
            "patch",
            "role",
            "pod-reader",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ],
    );

    // Bindings: to a role alice holds all of, yes; to more, no; to a role
    // that does not exist, no.
    alice_ok(
        &cluster,
        &[
            "create",
            "rolebinding",
            "bob-reads",
            "--role=pod-reader",
            "--user=bob",
        ],
    );
    let refused = alice_refused(
        &cluster,
        &[
            "create",
            "rolebinding",
            "bob-edits",
            "--clusterrole=edit",
            "--user=bob",
        ],
    );
    assert!(
        refused.contains(&format!(
            "rolebindings.rbac.authorization.k8s.io \"bob-edits\" is forbidden: {NOT_HELD}"
        )),
        "{refused}"
    );
    let refused = alice_refused(
        &cluster,
        &[
            "create",
            "rolebinding",
            "dangling",
            "--role=nope",
            "--user=bob",
        ],
    );
    assert!(
        refused.contains("rolebindings.rbac.authorization.k8s.io \"dangling\" is forbidden: role.rbac.authorization.k8s.io \"nope\" not found"),
        "{refused}"
    );

    // `bind` on a role lets alice bind it, `escalate` lets her write roles
    // beyond her own permissions.
    cluster.ok(&[
        "create",
        "role",
        "binder",
        "-n",
        "team",
        "--verb=bind",
        "--resource=clusterroles.rbac.authorization.k8s.io",
        "--resource-name=edit",
    ]);
    cluster.ok(&[
        "create",
        "rolebinding",
        "alice-binds",
        "-n",
        "team",
        "--role=binder",
        "--user=alice",
    ]);
    alice_ok(
        &cluster,
        &[
            "create",
            "rolebinding",
            "bob-edits",
            "--clusterrole=edit",
            "--user=bob",
        ],
    );
    cluster.ok(&[
        "create",
        "role",
        "escalator",
        "-n",
        "team",
        "--verb=escalate",
        "--resource=roles.rbac.authorization.k8s.io",
    ]);
    cluster.ok(&[
        "create",
        "rolebinding",
        "alice-escalates",
        "-n",
        "team",
        "--role=escalator",
        "--user=alice",
    ]);
    alice_ok(
        &cluster,
        &[
            "create",
            "role",
            "secret-reader",
            "--verb=get,list",
            "--resource=secrets",
        ],
    );
    alice_ok(
        &cluster,
        &["patch", "role", "pod-reader", "--type=json", "-p", widen],
    );

    // system:masters may grant anything.
    cluster.ok(&[
        "create",
        "rolebinding",
        "bob-admin",
        "-n",
        "team",
        "--clusterrole=admin",
        "--user=bob",
    ]);
}
