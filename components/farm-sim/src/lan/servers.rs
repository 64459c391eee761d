//! A simulated printer's network side, as a real one has it: a self-signed
//! certificate, an MQTT broker over TLS (rumqttd) that admits only `bblp`
//! with the access code, and an FTPS endpoint with implicit TLS. libunftp
//! speaks explicit FTPS only, so a small TLS front accepts the implicit-TLS
//! control connection and relays it, decrypted, to libunftp on a private
//! loopback socket; libunftp itself encrypts the data channel after
//! `PROT P`, with the same certificate.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings, TlsConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use unftp_core::auth::{AuthenticationError, Authenticator, Credentials, Principal};

use printer_gateway::bambu_lan::LAN_USER;

/// A printer's certificate and key (DER), and the PEM files rumqttd reads.
pub struct Identity {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

/// The printer's certificate: the one kept under `dir` from an earlier run
/// (a printer keeps its certificate across restarts, so pins stay valid),
/// or a fresh self-signed one named after `serial`, as Bambu's are.
pub fn identity(serial: &str, dir: &Path) -> anyhow::Result<Identity> {
    use rustls::pki_types::pem::PemObject;
    let cert_pem = dir.join("cert.pem");
    let key_pem = dir.join("key.pem");
    if cert_pem.exists() && key_pem.exists() {
        let cert = CertificateDer::from_pem_file(&cert_pem).context("reading cert.pem")?;
        let key = PrivatePkcs8KeyDer::from_pem_file(&key_pem).context("reading key.pem")?;
        return Ok(Identity {
            cert_der: cert.to_vec(),
            key_der: key.secret_pkcs8_der().to_vec(),
            cert_pem,
            key_pem,
        });
    }
    let certified =
        rcgen::generate_simple_self_signed(vec![serial.to_owned(), "localhost".to_owned()])?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(&cert_pem, certified.cert.pem())?;
    std::fs::write(&key_pem, certified.signing_key.serialize_pem())?;
    Ok(Identity {
        cert_der: certified.cert.der().to_vec(),
        key_der: certified.signing_key.serialize_der(),
        cert_pem,
        key_pem,
    })
}

/// Starts the printer's broker on `listen` (TLS; `bblp` + access code).
/// Returns the broker's in-process link for the printer's own messages.
/// rumqttd runs on its own threads for the life of the process.
pub fn start_broker(
    serial: &str,
    listen: SocketAddr,
    identity: &Identity,
    access_code: &str,
) -> anyhow::Result<(rumqttd::local::LinkTx, rumqttd::local::LinkRx)> {
    let server = ServerSettings {
        name: format!("printer-{serial}"),
        listen,
        tls: Some(TlsConfig::Rustls {
            capath: None,
            certpath: identity.cert_pem.display().to_string(),
            keypath: identity.key_pem.display().to_string(),
        }),
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 5000,
            max_payload_size: 1 << 20,
            max_inflight_count: 100,
            auth: Some(HashMap::from([(
                LAN_USER.to_owned(),
                access_code.to_owned(),
            )])),
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 16,
            max_outgoing_packet_count: 200,
            max_segment_size: 1 << 20,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("tls".to_owned(), server)])),
        ..Config::default()
    };
    let mut broker = Broker::new(config);
    let link = broker
        .link(&format!("printer-{serial}"))
        .context("linking to the broker")?;
    std::thread::Builder::new()
        .name(format!("broker-{serial}"))
        .spawn(move || {
            if let Err(error) = broker.start() {
                tracing::error!(%error, "simulated printer broker stopped");
            }
        })?;
    Ok(link)
}

/// Accepts `bblp` with the access code, nobody else.
#[derive(Debug)]
struct AccessCode(String);

#[async_trait]
impl Authenticator for AccessCode {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        if username != LAN_USER {
            return Err(AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.0.as_str()) {
            return Err(AuthenticationError::BadPassword);
        }
        Ok(Principal {
            username: username.to_owned(),
        })
    }
}

/// Starts the FTPS endpoint: implicit TLS on `listen`, files kept in `root`
/// (the printer's SD card).
pub async fn start_ftps(
    listen: SocketAddr,
    identity: &Identity,
    access_code: &str,
    root: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(root)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(identity.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
        )?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let public = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding FTPS {listen}"))?;
    let inner = TcpListener::bind("127.0.0.1:0").await?;
    let inner_addr = inner.local_addr()?;

    let (root, code) = (root.to_path_buf(), access_code.to_owned());
    let (cert, key) = (identity.cert_pem.clone(), identity.key_pem.clone());
    // libunftp serves each relayed control connection.
    tokio::spawn(async move {
        while let Ok((stream, _)) = inner.accept().await {
            let root = root.clone();
            let server = libunftp::ServerBuilder::with_authenticator(
                Box::new(move || {
                    unftp_sbe_fs::Filesystem::new(root.clone()).expect("the SD card folder")
                }),
                Arc::new(AccessCode(code.clone())),
            )
            .ftps(cert.clone(), key.clone())
            .ftps_required(
                libunftp::options::FtpsRequired::None,
                libunftp::options::FtpsRequired::None,
            )
            .passive_ports(49152..=65534)
            .build();
            match server {
                Ok(server) => drop(tokio::spawn(async move {
                    let _ = server.service(stream).await;
                })),
                Err(error) => tracing::error!(%error, "FTPS server could not start"),
            }
        }
    });
    // The implicit-TLS front.
    tokio::spawn(async move {
        while let Ok((stream, _)) = public.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(inner_addr).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printer_keeps_its_certificate_across_restarts_and_another_gets_its_own() {
        let base =
            std::env::temp_dir().join(format!("sim-id-{}", printer_gateway::testing::unique_tag()));
        let first = identity("01PX", &base.join("a")).expect("new");
        let again = identity("01PX", &base.join("a")).expect("reloaded");
        let other = identity("01PX", &base.join("b")).expect("another");
        assert_eq!(
            (&first.cert_der, &first.key_der),
            (&again.cert_der, &again.key_der)
        );
        assert_ne!(first.cert_der, other.cert_der);
        let _ = std::fs::remove_dir_all(base);
    }
}
