//! TLS of the kubelet's server: its serving certificate (signed by the
//! cluster CA when the kubelet holds the CA key, as `rkube server` does;
//! self-signed otherwise, as upstream's kubelet without
//! `--tls-cert-file`), the rustls configuration that asks every client for a
//! certificate signed by the cluster CA, and the identity such a certificate
//! carries (CN = user, O = groups).

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

/// Why a certificate or the TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate generation: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("no certificate in the {0}")]
    NoCertificate(&'static str),
    #[error("no private key in the {0}")]
    NoKey(&'static str),
    #[error("reading PEM: {0}")]
    Pem(#[from] std::io::Error),
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// A certificate and its private key, PEM.
#[derive(Clone, Debug)]
pub struct CertifiedKey {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The kubelet's serving certificate for `node_name` and `addresses`: signed
/// by the cluster CA (`ca_cert_pem` with `ca_key_pem`) when the key is given,
/// as the CSR signer `kubernetes.io/kubelet-serving` would (CN
/// `system:node:<node>`, O `system:nodes`); self-signed otherwise, as
/// upstream's kubelet makes one (`<host>@<unix time>`).
pub fn serving_certificate(
    node_name: &str,
    addresses: &[IpAddr],
    ca: Option<(&str, &str)>,
) -> Result<CertifiedKey, TlsError> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    let mut sans = vec![SanType::DnsName(node_name.to_string().try_into()?)];
    if node_name != "localhost" {
        sans.push(SanType::DnsName("localhost".to_string().try_into()?));
    }
    let mut ips: Vec<IpAddr> = addresses.to_vec();
    ips.push(IpAddr::from([127, 0, 0, 1]));
    ips.sort();
    ips.dedup();
    sans.extend(ips.into_iter().map(SanType::IpAddress));
    params.subject_alt_names = sans;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = chrono::Utc::now();
    {
        use chrono::Datelike;
        params.not_before = rcgen::date_time_ymd(now.year() - 1, 1, 1);
        params.not_after = rcgen::date_time_ymd(now.year() + 1, 12, 31);
    }
    let cert = match ca {
        Some((ca_cert_pem, ca_key_pem)) => {
            name.push(DnType::CommonName, format!("system:node:{node_name}"));
            name.push(DnType::OrganizationName, "system:nodes");
            params.distinguished_name = name;
            let ca_key = KeyPair::from_pem(ca_key_pem)?;
            let issuer = Issuer::from_ca_cert_pem(ca_cert_pem, &ca_key)?;
            params.signed_by(&key, &issuer)?
        }
        None => {
            name.push(
                DnType::CommonName,
                format!("{node_name}@{}", now.timestamp()),
            );
            params.distinguished_name = name;
            params.self_signed(&key)?
        }
    };
    Ok(CertifiedKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn certs(pem: &str, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = rustls_pemfile::certs(&mut pem.as_bytes()).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(what));
    }
    Ok(certs)
}

fn key(pem: &str, what: &'static str) -> Result<PrivateKeyDer<'static>, TlsError> {
    rustls_pemfile::private_key(&mut pem.as_bytes())?.ok_or(TlsError::NoKey(what))
}

/// The server configuration: the serving certificate, client certificates
/// verified against `client_ca_pem` (a client without one gets through the
/// handshake and is answered 401, as upstream's kubelet without anonymous
/// access), HTTP/1.1 (upgrades for exec, attach and port-forward) and HTTP/2.
pub fn server_config(
    serving: &CertifiedKey,
    client_ca_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in certs(client_ca_pem, "client CA")? {
        roots.add(ca)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            certs(&serving.cert_pem, "serving certificate")?,
            key(&serving.key_pem, "serving key")?,
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Who a verified client certificate names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
}

/// The identity of a client certificate: its CN and organizations.
pub fn identity(cert: &CertificateDer<'_>) -> Option<Identity> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let subject = parsed.subject();
    let user = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())?
        .to_string();
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(ToString::to_string))
        .collect();
    Some(Identity { user, groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_ca() -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn signed_and_self_signed_serving_certificates() {
        let (ca_cert, ca_key) = test_ca();
        let signed = serving_certificate(
            "node-1",
            &["10.0.0.5".parse().unwrap()],
            Some((&ca_cert, &ca_key)),
        )
        .unwrap();
        let der = &certs(&signed.cert_pem, "signed").unwrap()[0];
        let who = identity(der).unwrap();
        assert_eq!(who.user, "system:node:node-1");
        assert_eq!(who.groups, vec!["system:nodes".to_string()]);
        server_config(&signed, &ca_cert).unwrap();
        let own = serving_certificate("node-1", &[], None).unwrap();
        let der = &certs(&own.cert_pem, "own").unwrap()[0];
        assert!(identity(der).unwrap().user.starts_with("node-1@"));
    }
}
