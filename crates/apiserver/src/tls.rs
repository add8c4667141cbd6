//! TLS for the API server: the rustls configuration (serving certificate, optional
//! client certificates signed by the cluster CA) and the identity a client
//! certificate carries (CN = user, O = groups), as upstream's x509 authenticator.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

use crate::certs::Pki;

/// Why the TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("no certificate in {0}")]
    NoCertificate(&'static str),
    #[error("no private key in {0}")]
    NoKey(&'static str),
    #[error("pem: {0}")]
    Pem(#[from] std::io::Error),
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// Who made a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
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

/// The rustls server configuration: HTTP/2 and HTTP/1.1 by ALPN, and client
/// certificates verified against the cluster CA when a client offers one.
pub fn server_config(pki: &Pki) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in certs(&pki.ca_cert_pem, "ca.crt")? {
        roots.add(ca)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            certs(&pki.serving_cert_pem, "serving.crt")?,
            key(&pki.serving_key_pem, "serving.key")?,
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The user of a verified client certificate: its subject's common name, and its
/// organizations as groups.
pub fn user_from_certificate(cert: &CertificateDer<'_>) -> Option<UserInfo> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let subject = parsed.subject();
    let name = subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())?
        .to_string();
    let mut groups: Vec<String> = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(ToString::to_string))
        .collect();
    groups.push("system:authenticated".to_string());
    Some(UserInfo { name, groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_certificate_identity() {
        let dir = tempfile::tempdir().unwrap();
        let pki = crate::certs::load_or_create(dir.path(), &[]).unwrap();
        server_config(&pki).unwrap();
        let cert = &certs(&pki.admin_cert_pem, "admin").unwrap()[0];
        let user = user_from_certificate(cert).unwrap();
        assert_eq!(user.name, crate::certs::ADMIN_USER);
        assert!(user.groups.contains(&crate::certs::ADMIN_GROUP.to_string()));
    }
}
