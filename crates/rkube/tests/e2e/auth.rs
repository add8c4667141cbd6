//! Service account tokens (`kubectl create token`), bearer-token
//! authentication, RBAC authorization with the default policy, impersonation,
//! and the review APIs behind `kubectl auth can-i` and `kubectl auth whoami`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::support::{run, wait_until, Cluster, Run};

/// How long the aggregation controller may take to fill `view`.
const SETTLE: Duration = Duration::from_secs(30);

/// A kubeconfig for the cluster without credentials; kubectl's `--token` adds
/// them.
fn token_kubeconfig(cluster: &Cluster) -> PathBuf {
    let ca = cluster.dir.path().join("tls/ca.crt");
    cluster.file(
        "token.kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: rkube\n  cluster:\n    server: https://127.0.0.1:{}\n    certificate-authority: {}\ncontexts:\n- name: token\n  context:\n    cluster: rkube\n    user: token\n    namespace: default\ncurrent-context: token\nusers:\n- name: token\n  user: {{}}\n",
            cluster.port,
            ca.display()
        ),
    )
}

/// kubectl as the holder of `token`.
fn with_token(cluster: &Cluster, token: &str, args: &[&str]) -> Run {
    let kubeconfig = token_kubeconfig(cluster);
    let kubeconfig = kubeconfig.to_string_lossy();
    let token = format!("--token={token}");
    let mut all = vec!["--kubeconfig", &kubeconfig, &token];
    all.extend_from_slice(args);
    run(
        &mut cluster.kubectl_command(&all),
        None,
        Duration::from_secs(60),
    )
}

/// The token `kubectl create token` prints.
fn create_token(cluster: &Cluster, args: &[&str]) -> String {
    let mut all = vec!["create", "token"];
    all.extend_from_slice(args);
    cluster.ok(&all).trim().to_string()
}

/// The claims of a JWT, decoded without checking it.
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let mut bits = 0u32;
    let mut bit_count = 0;
    let mut bytes = Vec::new();
    for c in payload.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            other => panic!("not base64url: {other}"),
        };
        bits = (bits << 6) | u32::from(value);
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            bytes.push((bits >> bit_count) as u8);
            bits &= (1 << bit_count) - 1;
        }
    }
    serde_json::from_slice(&bytes).expect("claims are JSON")
}

fn forbidden(user: &str, verb: &str, resource: &str, namespace: &str) -> String {
    format!(
        "Error from server (Forbidden): {resource} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"\" in the namespace \"{namespace}\""
    )
}

#[test]
fn service_account_tokens_are_authorized_by_rbac() {
    let cluster = Cluster::start();
    cluster.ok(&["create", "serviceaccount", "reader"]);
    let uid = cluster.jsonpath("default", "serviceaccount", "reader", "{.metadata.uid}");
    let token = create_token(&cluster, &["reader"]);
    let claims = claims(&token);
    let issuer = "https://kubernetes.default.svc.cluster.local";
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["sub"], "system:serviceaccount:default:reader");
    assert_eq!(claims["aud"], serde_json::json!([issuer]));
    assert_eq!(claims["kubernetes.io"]["namespace"], "default");
    assert_eq!(claims["kubernetes.io"]["serviceaccount"]["name"], "reader");
    assert_eq!(
        claims["kubernetes.io"]["serviceaccount"]["uid"],
        uid.as_str()
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(claims["nbf"], claims["iat"]);

    let user = "system:serviceaccount:default:reader";
    // Discovery is open to every authenticated user; pods are not.
    assert!(with_token(&cluster, &token, &["get", "--raw", "/api"]).success);
    let denied = with_token(&cluster, &token, &["get", "pods"]);
    assert!(!denied.success);
    assert!(
        denied
            .stderr
            .contains(&forbidden(user, "list", "pods", "default")),
        "{}",
        denied.stderr
    );

    // `view` in the namespace lets it read pods there, not write, and not
    // elsewhere.
    cluster.ok(&[
        "create",
        "rolebinding",
        "reader-view",
        "--clusterrole=view",
        "--serviceaccount=default:reader",
    ]);
    wait_until("view lets the token list pods", SETTLE, || {
        with_token(&cluster, &token, &["get", "pods"]).success
    });
    let create = with_token(&cluster, &token, &["create", "configmap", "c"]);
    assert!(!create.success);
    assert!(
        create.stderr.contains(&format!(
            "configmaps is forbidden: User \"{user}\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"default\""
        )),
        "{}",
        create.stderr
    );
    let elsewhere = with_token(&cluster, &token, &["get", "pods", "-n", "kube-system"]);
    assert!(
        elsewhere
            .stderr
            .contains(&forbidden(user, "list", "pods", "kube-system")),
        "{}",
        elsewhere.stderr
    );
    let namespaces = with_token(&cluster, &token, &["get", "namespaces"]);
    assert!(
        namespaces.stderr.contains(&format!(
            "namespaces is forbidden: User \"{user}\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"
        )),
        "{}",
        namespaces.stderr
    );
    // A binding to a role that does not exist is named in the denial.
    cluster.ok(&[
        "create",
        "rolebinding",
        "reader-missing",
        "--clusterrole=missing",
        "--serviceaccount=default:reader",
    ]);
    let secrets = with_token(&cluster, &token, &["get", "secrets"]);
    assert!(
        secrets.stderr.contains(&format!(
            "{}: RBAC: clusterrole.rbac.authorization.k8s.io \"missing\" not found",
            forbidden(user, "list", "secrets", "default")
        )),
        "{}",
        secrets.stderr
    );
}

#[test]
fn auth_can_i_and_whoami() {
    let cluster = Cluster::start();
    cluster.ok(&["create", "serviceaccount", "sa"]);
    let uid = cluster.jsonpath("default", "serviceaccount", "sa", "{.metadata.uid}");
    let as_sa = "--as=system:serviceaccount:default:sa";

    // The admin (system:masters) may do anything.
    assert_eq!(
        cluster.ok(&["auth", "can-i", "create", "pods"]).trim(),
        "yes"
    );
    assert_eq!(cluster.ok(&["auth", "can-i", "*", "*"]).trim(), "yes");
    let whoami = cluster.ok(&["auth", "whoami"]);
    assert!(whoami.contains("system:admin"), "{whoami}");
    assert!(
        whoami.contains("[system:masters system:authenticated]"),
        "{whoami}"
    );

    // Impersonating the service account (kubectl --as).
    let no = cluster.kubectl(&["auth", "can-i", "list", "pods", as_sa]);
    assert!(!no.success);
    assert_eq!(no.stdout.trim(), "no");
    cluster.ok(&[
        "create",
        "rolebinding",
        "sa-view",
        "--clusterrole=view",
        "--serviceaccount=default:sa",
    ]);
    wait_until("view lets the service account list pods", SETTLE, || {
        cluster
            .kubectl(&["auth", "can-i", "list", "pods", as_sa])
            .success
    });
    assert_eq!(
        cluster
            .kubectl(&["auth", "can-i", "create", "pods", as_sa])
            .stdout
            .trim(),
        "no"
    );
    assert_eq!(
        cluster
            .kubectl(&["auth", "can-i", "list", "pods", as_sa, "-n", "kube-system"])
            .stdout
            .trim(),
        "no"
    );
    let whoami = cluster.ok(&["auth", "whoami", as_sa]);
    assert!(
        whoami.contains("system:serviceaccount:default:sa"),
        "{whoami}"
    );
    assert!(
        whoami.contains(
            "[system:serviceaccounts system:serviceaccounts:default system:authenticated]"
        ),
        "{whoami}"
    );

    // The same through a token.
    let token = create_token(&cluster, &["sa"]);
    let can = with_token(&cluster, &token, &["auth", "can-i", "get", "pods"]);
    assert_eq!(can.stdout.trim(), "yes", "{}", can.stderr);
    let list = with_token(&cluster, &token, &["auth", "can-i", "--list"]);
    assert!(list.success, "{}", list.stderr);
    for expected in [
        "selfsubjectaccessreviews.authorization.k8s.io",
        "selfsubjectreviews.authentication.k8s.io",
        "[/api/*]",
    ] {
        assert!(
            list.stdout.contains(expected),
            "{expected}:\n{}",
            list.stdout
        );
    }
    assert!(
        list.stdout
            .lines()
            .any(|l| l.starts_with("pods ") && l.contains("[get list watch]")),
        "{}",
        list.stdout
    );
    let whoami = with_token(&cluster, &token, &["auth", "whoami", "-o", "json"]);
    assert!(whoami.success, "{}", whoami.stderr);
    let review: Value = serde_json::from_str(&whoami.stdout).expect("whoami JSON");
    let info = &review["status"]["userInfo"];
    assert_eq!(info["username"], "system:serviceaccount:default:sa");
    assert_eq!(info["uid"], uid.as_str());
    let credential = info["extra"]["authentication.kubernetes.io/credential-id"][0]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        credential,
        format!("JTI={}", claims(&token)["jti"].as_str().unwrap_or("?"))
    );

    // A service account may not impersonate without the `impersonate` verb.
    let impersonate = with_token(&cluster, &token, &["get", "pods", "--as=alice"]);
    assert!(
        impersonate.stderr.contains(
            "users \"alice\" is forbidden: User \"system:serviceaccount:default:sa\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
        ),
        "{}",
        impersonate.stderr
    );
}

#[test]
fn tokens_are_validated() {
    let cluster = Cluster::start();
    cluster.ok(&["create", "serviceaccount", "sa"]);
    let unauthorized = "error: You must be logged in to the server (Unauthorized)";

    // Lifetime: ten minutes at least; --duration sets it.
    let short = cluster.fails(&["create", "token", "sa", "--duration=1m"]);
    assert!(
        short.contains(
            "error: failed to create token: TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"
        ),
        "{short}"
    );
    let two_hours = claims(&create_token(&cluster, &["sa", "--duration=2h"]));
    assert_eq!(
        two_hours["exp"].as_i64().unwrap() - two_hours["iat"].as_i64().unwrap(),
        7200
    );
    let missing = cluster.fails(&["create", "token", "nobody"]);
    assert!(
        missing.contains("serviceaccounts \"nobody\" not found"),
        "{missing}"
    );

    // A token for another audience is not for the API server.
    let vault = create_token(&cluster, &["sa", "--audience=vault"]);
    assert_eq!(claims(&vault)["aud"], serde_json::json!(["vault"]));
    let run = with_token(&cluster, &vault, &["auth", "whoami"]);
    assert!(run.stderr.contains(unauthorized), "{}", run.stderr);
    let run = with_token(&cluster, "not-a-jwt", &["auth", "whoami"]);
    assert!(run.stderr.contains(unauthorized), "{}", run.stderr);

    // A token dies with its service account, even when one of the same name
    // comes back.
    let token = create_token(&cluster, &["sa"]);
    assert!(with_token(&cluster, &token, &["auth", "whoami"]).success);
    cluster.ok(&["delete", "serviceaccount", "sa"]);
    let run = with_token(&cluster, &token, &["auth", "whoami"]);
    assert!(run.stderr.contains(unauthorized), "{}", run.stderr);
    cluster.ok(&["create", "serviceaccount", "sa"]);
    let run = with_token(&cluster, &token, &["auth", "whoami"]);
    assert!(run.stderr.contains(unauthorized), "{}", run.stderr);

    // A token bound to a secret dies with the secret.
    cluster.ok(&["create", "secret", "generic", "key"]);
    let bound = create_token(
        &cluster,
        &[
            "sa",
            "--bound-object-kind=Secret",
            "--bound-object-name=key",
        ],
    );
    assert_eq!(claims(&bound)["kubernetes.io"]["secret"]["name"], "key");
    assert!(with_token(&cluster, &bound, &["auth", "whoami"]).success);
    cluster.ok(&["delete", "secret", "key"]);
    let run = with_token(&cluster, &bound, &["auth", "whoami"]);
    assert!(run.stderr.contains(unauthorized), "{}", run.stderr);

    // A token bound to a pod names the pod to whoever holds it.
    cluster.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  serviceAccountName: sa\n  containers:\n  - name: c\n    image: busybox\n",
    );
    let pod_token = create_token(
        &cluster,
        &["sa", "--bound-object-kind=Pod", "--bound-object-name=p"],
    );
    let whoami = with_token(&cluster, &pod_token, &["auth", "whoami"]);
    assert!(
        whoami
            .stdout
            .contains("Extra: authentication.kubernetes.io/pod-name"),
        "{}{}",
        whoami.stdout,
        whoami.stderr
    );
    cluster.ok(&["create", "serviceaccount", "other"]);
    let wrong = cluster.fails(&[
        "create",
        "token",
        "other",
        "--bound-object-kind=Pod",
        "--bound-object-name=p",
    ]);
    assert!(
        wrong.contains(
            "cannot bind token for serviceaccount \"other\" to pod running with different serviceaccount name."
        ),
        "{wrong}"
    );
}

#[test]
fn default_policy_is_bootstrapped_and_reconciled() {
    let mut cluster = Cluster::start();
    let roles = cluster.ok(&[
        "get",
        "clusterroles",
        "-l",
        "kubernetes.io/bootstrapping=rbac-defaults",
        "-o",
        "name",
    ]);
    for role in [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:basic-user",
        "system:discovery",
        "system:public-info-viewer",
    ] {
        assert!(
            roles
                .lines()
                .any(|l| l == format!("clusterrole.rbac.authorization.k8s.io/{role}")),
            "{role}:\n{roles}"
        );
    }
    assert_eq!(
        cluster.jsonpath(
            "",
            "clusterrolebinding",
            "cluster-admin",
            "{.subjects[0].name}"
        ),
        "system:masters"
    );
    assert_eq!(
        cluster.jsonpath(
            "",
            "clusterrole",
            "view",
            "{.metadata.annotations.rbac\\.authorization\\.kubernetes\\.io/autoupdate}"
        ),
        "true"
    );
    // The aggregation controller fills view, and edit and admin from it.
    wait_until("admin aggregates view's rules", SETTLE, || {
        cluster
            .jsonpath("", "clusterrole", "admin", "{.rules[*].resources}")
            .contains("pods/log")
    });
    // A role labelled to aggregate into view extends it.
    cluster.ok_stdin(
        &["create", "-f", "-"],
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widgets-view\n  labels:\n    rbac.authorization.k8s.io/aggregate-to-view: \"true\"\nrules:\n- apiGroups: [\"example.com\"]\n  resources: [\"widgets\"]\n  verbs: [\"get\"]\n",
    );
    wait_until("view aggregates widgets", SETTLE, || {
        cluster
            .jsonpath("", "clusterrole", "view", "{.rules[*].resources}")
            .contains("widgets")
    });

    // A deleted default comes back on restart; one an administrator protects
    // with autoupdate=false is left alone.
    cluster.ok(&["delete", "clusterrolebinding", "system:basic-user"]);
    cluster.ok(&[
        "annotate",
        "--overwrite",
        "clusterrole",
        "system:monitoring",
        "rbac.authorization.kubernetes.io/autoupdate=false",
    ]);
    cluster.ok(&[
        "patch",
        "clusterrole",
        "system:monitoring",
        "--type=json",
        "-p",
        r#"[{"op": "replace", "path": "/rules", "value": [{"verbs": ["get"], "nonResourceURLs": ["/metrics"]}]}]"#,
    ]);
    cluster.restart();
    assert_eq!(
        cluster.jsonpath(
            "",
            "clusterrolebinding",
            "system:basic-user",
            "{.subjects[0].name}"
        ),
        "system:authenticated"
    );
    assert_eq!(
        cluster.jsonpath(
            "",
            "clusterrole",
            "system:monitoring",
            "{.rules[*].nonResourceURLs}"
        ),
        r#"["/metrics"]"#
    );
}
