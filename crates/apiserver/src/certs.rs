//! The cluster's certificates: a CA made on first start, the serving certificate,
//! the admin client certificate and the API server's client certificate for
//! kubelets it signs, the admin kubeconfig that uses them, and the key that
//! signs service account tokens.
//!
//! Everything is written under `<data-dir>/tls/` and reused on later starts, so
//! kubeconfigs handed out stay valid across restarts.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// Why the certificates could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("io on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("no certificate or key found in {0}")]
    Pem(PathBuf),
}

/// PEM files of the cluster's PKI, as loaded or made.
#[derive(Clone, Debug)]
pub struct Pki {
    pub ca_cert_pem: String,
    pub serving_cert_pem: String,
    pub serving_key_pem: String,
    pub admin_cert_pem: String,
    pub admin_key_pem: String,
    /// What the API server presents to kubelets (`apiserver-kubelet-client`,
    /// as kubeadm names it: CN `kube-apiserver-kubelet-client`, O
    /// `system:masters`).
    pub kubelet_client_cert_pem: String,
    pub kubelet_client_key_pem: String,
    /// The key that signs service account tokens (ECDSA P-256, PKCS#8).
    pub service_account_key_pem: String,
    pub dir: PathBuf,
}

/// The user and groups of the admin certificate, as kubeadm and k3s name them.
pub const ADMIN_USER: &str = "system:admin";
pub const ADMIN_GROUP: &str = "system:masters";
/// The user of the API server's client certificate for kubelets.
pub const KUBELET_CLIENT_USER: &str = "kube-apiserver-kubelet-client";

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CertError + '_ {
    move |source| CertError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read(path: &Path) -> Result<String, CertError> {
    std::fs::read_to_string(path).map_err(io_err(path))
}

fn write(path: &Path, contents: &str, private: bool) -> Result<(), CertError> {
    std::fs::write(path, contents).map_err(io_err(path))?;
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
    }
    Ok(())
}

fn validity(params: &mut CertificateParams, years: i32) {
    let now = chrono::Utc::now();
    use chrono::Datelike;
    params.not_before = rcgen::date_time_ymd(now.year() - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(now.year() + years, 1, 1);
}

/// Loads the PKI from `<data_dir>/tls`, making what is missing. The serving
/// certificate is valid for `localhost`, the loopback addresses, the `kubernetes`
/// service names, this machine's name and addresses, and `extra_sans`.
pub fn load_or_create(data_dir: &Path, extra_sans: &[String]) -> Result<Pki, CertError> {
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let ca_cert_path = dir.join("ca.crt");
    let ca_key_path = dir.join("ca.key");
    if !ca_cert_path.exists() || !ca_key_path.exists() {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "rkube-ca");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, 10);
        let cert = params.self_signed(&key)?;
        write(&ca_key_path, &key.serialize_pem(), true)?;
        write(&ca_cert_path, &cert.pem(), false)?;
        // A new CA invalidates whatever it signed before.
        for stale in [
            "serving.crt",
            "serving.key",
            "admin.crt",
            "admin.key",
            "apiserver-kubelet-client.crt",
            "apiserver-kubelet-client.key",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
    }
    let ca_cert_pem = read(&ca_cert_path)?;
    let ca_key = KeyPair::from_pem(&read(&ca_key_path)?)?;
    let issuer = Issuer::from_ca_cert_pem(&ca_cert_pem, &ca_key)?;

    let mut sans: Vec<String> = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "127.0.0.1",
        "::1",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        sans.push(host.trim().to_string());
    }
    sans.extend(local_addresses().iter().map(ToString::to_string));
    sans.extend(extra_sans.iter().cloned());
    sans.sort();
    sans.dedup();

    let (serving_cert_pem, serving_key_pem) = leaf(&dir, "serving", &issuer, |params| {
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "kube-apiserver");
        params.distinguished_name = name;
        params.subject_alt_names = sans
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| match s.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => s.clone().try_into().map(SanType::DnsName),
            })
            .collect::<Result<_, _>>()?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        Ok(())
    })?;
    let (admin_cert_pem, admin_key_pem) = leaf(&dir, "admin", &issuer, |params| {
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, ADMIN_USER);
        name.push(DnType::OrganizationName, ADMIN_GROUP);
        params.distinguished_name = name;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        Ok(())
    })?;
    let (kubelet_client_cert_pem, kubelet_client_key_pem) =
        leaf(&dir, "apiserver-kubelet-client", &issuer, |params| {
            let mut name = DistinguishedName::new();
            name.push(DnType::CommonName, KUBELET_CLIENT_USER);
            name.push(DnType::OrganizationName, ADMIN_GROUP);
            params.distinguished_name = name;
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            Ok(())
        })?;
    let service_account_key_pem = service_account_key(&dir)?;
    Ok(Pki {
        ca_cert_pem,
        serving_cert_pem,
        serving_key_pem,
        admin_cert_pem,
        admin_key_pem,
        kubelet_client_cert_pem,
        kubelet_client_key_pem,
        service_account_key_pem,
        dir,
    })
}

/// Loads `<dir>/service-account.key`, or makes it (with its public half in
/// `service-account.pub`, for verifiers outside the API server). It is kept
/// apart from the CA, as upstream's `--service-account-key-file`, so tokens
/// stay valid as long as it does.
fn service_account_key(dir: &Path) -> Result<String, CertError> {
    let key_path = dir.join("service-account.key");
    if key_path.exists() {
        return read(&key_path);
    }
    let key = KeyPair::generate()?;
    let pem = key.serialize_pem();
    write(
        &dir.join("service-account.pub"),
        &key.public_key_pem(),
        false,
    )?;
    write(&key_path, &pem, true)?;
    Ok(pem)
}

/// Loads `<dir>/<name>.crt` and `.key`, or makes them signed by the CA.
fn leaf(
    dir: &Path,
    name: &str,
    issuer: &Issuer<'_, &KeyPair>,
    fill: impl FnOnce(&mut CertificateParams) -> Result<(), rcgen::Error>,
) -> Result<(String, String), CertError> {
    let cert_path = dir.join(format!("{name}.crt"));
    let key_path = dir.join(format!("{name}.key"));
    if cert_path.exists() && key_path.exists() {
        return Ok((read(&cert_path)?, read(&key_path)?));
    }
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    validity(&mut params, 5);
    fill(&mut params)?;
    let cert = params.signed_by(&key, issuer)?;
    let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
    write(&key_path, &key_pem, true)?;
    write(&cert_path, &cert_pem, false)?;
    Ok((cert_pem, key_pem))
}

/// This machine's IPv4 addresses, from the kernel's routing tables.
pub fn local_addresses() -> Vec<IpAddr> {
    let Ok(trie) = std::fs::read_to_string("/proc/net/fib_trie") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut last: Option<IpAddr> = None;
    for line in trie.lines() {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("|-- ") {
            last = addr.parse().ok();
        } else if line.contains("/32 host LOCAL") {
            if let Some(addr) = last {
                if !out.contains(&addr) {
                    out.push(addr);
                }
            }
        }
    }
    out
}

/// The admin kubeconfig for a server at `server_url`, embedding the CA and the
/// admin certificate.
pub fn admin_kubeconfig(pki: &Pki, server_url: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: rkube\n  cluster:\n    server: {server_url}\n    certificate-authority-data: {ca}\ncontexts:\n- name: rkube\n  context:\n    cluster: rkube\n    user: admin\ncurrent-context: rkube\npreferences: {{}}\nusers:\n- name: admin\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n",
        ca = b64(&pki.ca_cert_pem),
        cert = b64(&pki.admin_cert_pem),
        key = b64(&pki.admin_key_pem),
    )
}

/// Writes the admin kubeconfig to `path` (mode 0600).
pub fn write_kubeconfig(pki: &Pki, server_url: &str, path: &Path) -> Result<(), CertError> {
    write(path, &admin_kubeconfig(pki, server_url), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(dir.path(), &["example.test".into()]).unwrap();
        let second = load_or_create(dir.path(), &[]).unwrap();
        assert_eq!(first.ca_cert_pem, second.ca_cert_pem);
        assert_eq!(first.admin_cert_pem, second.admin_cert_pem);
        assert_eq!(
            first.kubelet_client_cert_pem,
            second.kubelet_client_cert_pem
        );
        assert_eq!(
            first.service_account_key_pem,
            second.service_account_key_pem
        );
        let config = admin_kubeconfig(&first, "https://127.0.0.1:6443");
        assert!(config.contains("server: https://127.0.0.1:6443"));
    }
}
