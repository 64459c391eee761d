//! Certificate pinning for printers' self-signed certificates (trust on
//! first use). A Bambu printer's MQTT broker (8883) and FTPS server (990)
//! present a certificate no public CA signs, so the gateway cannot check it
//! against a root store. Instead it remembers the SHA-256 of the certificate
//! a printer showed on first contact and from then on accepts only that one.
//! A different certificate is an alarm: the TLS handshake fails, the
//! printer's [`Alarm`] is raised, and the gateway stops talking to it until
//! an operator removes the pin (a swapped printer, or someone in between).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};

/// Errors reading or writing the pin file.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("pin file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("pin file {path} is not a JSON object of serial -> sha256 hex: {source}")]
    Malformed {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The pins of every printer, kept in a JSON file (`{"<serial>": "<sha256 hex>"}`)
/// so a restart keeps trusting exactly what it trusted before. `None` path:
/// in memory only (tests).
#[derive(Debug, Clone)]
pub struct PinStore {
    path: Option<PathBuf>,
    pins: Arc<Mutex<BTreeMap<String, String>>>,
}

impl PinStore {
    pub fn in_memory() -> Self {
        Self {
            path: None,
            pins: Arc::default(),
        }
    }

    /// Loads the pin file; a missing file is an empty store.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, PinError> {
        let path = path.into();
        let shown = path.display().to_string();
        let pins = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| PinError::Malformed {
                path: shown,
                source,
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => {
                return Err(PinError::Io {
                    path: shown,
                    source,
                });
            }
        };
        Ok(Self {
            path: Some(path),
            pins: Arc::new(Mutex::new(pins)),
        })
    }

    /// The pinned SHA-256 (lowercase hex) of `serial`'s certificate.
    pub fn get(&self, serial: &str) -> Option<String> {
        self.lock().get(serial).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.pins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks `fingerprint` against `serial`'s pin, pinning it when there is
    /// none yet (first contact; written to the file before it is trusted).
    pub fn check_or_pin(&self, serial: &str, fingerprint: &str) -> PinCheck {
        let mut pins = self.lock();
        match pins.get(serial) {
            Some(pinned) if pinned == fingerprint => PinCheck::Matches,
            Some(pinned) => PinCheck::Changed {
                pinned: pinned.clone(),
            },
            None => {
                pins.insert(serial.to_owned(), fingerprint.to_owned());
                if let Some(path) = &self.path {
                    let text = serde_json::to_string_pretty(&*pins).unwrap_or_default();
                    if let Err(error) = std::fs::write(path, text) {
                        // An unwritten pin would be re-learnt after a restart,
                        // which is exactly what pinning must not do: refuse.
                        pins.remove(serial);
                        tracing::error!(%serial, path = %path.display(), %error, "could not write the pin file");
                        return PinCheck::Unwritable;
                    }
                }
                PinCheck::Pinned
            }
        }
    }
}

/// What checking a certificate against the pins found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinCheck {
    /// First contact: the certificate is now pinned.
    Pinned,
    Matches,
    /// Not the pinned certificate: refuse, raise the alarm.
    Changed {
        pinned: String,
    },
    /// The pin could not be stored; refuse rather than trust unrecorded.
    Unwritable,
}

/// The SHA-256 of a DER certificate, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Raised once a printer presented a certificate other than its pin. Shared
/// between the TLS verifier (which raises it) and the printer's link (which
/// stops for good when it is raised).
#[derive(Debug, Clone, Default)]
pub struct Alarm(Arc<Mutex<Option<CertificateChanged>>>);

/// The details of a certificate alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateChanged {
    pub serial: String,
    pub pinned: String,
    pub presented: String,
}

impl Alarm {
    pub fn raised(&self) -> Option<CertificateChanged> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn raise(&self, changed: CertificateChanged) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(changed);
    }
}

/// A rustls verifier that trusts one printer's pinned certificate. The
/// handshake's signatures are still verified (with the certificate's key),
/// so a party that copied the certificate but lacks the key fails.
#[derive(Debug)]
pub struct PinnedVerifier {
    serial: String,
    pins: PinStore,
    alarm: Alarm,
    provider: Arc<CryptoProvider>,
}

impl PinnedVerifier {
    pub fn new(serial: impl Into<String>, pins: PinStore, alarm: Alarm) -> Self {
        Self {
            serial: serial.into(),
            pins,
            alarm,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    /// A TLS client configuration (TLS 1.2 and 1.3, ring) that trusts only
    /// this printer's pin.
    pub fn client_config(self) -> rustls::ClientConfig {
        let provider = self.provider.clone();
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(self))
            .with_no_client_auth()
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(changed) = self.alarm.raised() {
            // Once raised, stays raised: no later handshake can clear it.
            return Err(rustls::Error::General(format!(
                "printer {} certificate alarm (pinned {})",
                changed.serial, changed.pinned
            )));
        }
        let presented = fingerprint(end_entity.as_ref());
        match self.pins.check_or_pin(&self.serial, &presented) {
            PinCheck::Matches => Ok(ServerCertVerified::assertion()),
            PinCheck::Pinned => {
                tracing::info!(serial = %self.serial, sha256 = %presented, "printer certificate pinned on first contact");
                Ok(ServerCertVerified::assertion())
            }
            PinCheck::Changed { pinned } => {
                self.alarm.raise(CertificateChanged {
                    serial: self.serial.clone(),
                    pinned: pinned.clone(),
                    presented: presented.clone(),
                });
                Err(rustls::Error::General(format!(
                    "printer {} presented certificate {presented}, pinned {pinned}",
                    self.serial
                )))
            }
            PinCheck::Unwritable => Err(rustls::Error::General(
                "the printer's certificate could not be pinned".to_owned(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_certificate_is_pinned_and_a_different_one_is_refused() {
        let pins = PinStore::in_memory();
        assert_eq!(pins.check_or_pin("P1", "aa"), PinCheck::Pinned);
        assert_eq!(pins.check_or_pin("P1", "aa"), PinCheck::Matches);
        assert_eq!(
            pins.check_or_pin("P1", "bb"),
            PinCheck::Changed {
                pinned: "aa".into()
            }
        );
        // Pins are per printer.
        assert_eq!(pins.check_or_pin("P2", "bb"), PinCheck::Pinned);
    }

    #[test]
    fn pins_survive_a_restart_through_the_file() {
        let path = std::env::temp_dir().join(format!("pins-{}.json", crate::testing::unique_tag()));
        let first = PinStore::open(&path).expect("no file yet is empty");
        assert_eq!(first.check_or_pin("P1", "aa"), PinCheck::Pinned);
        let again = PinStore::open(&path).expect("reads back");
        assert_eq!(again.get("P1").as_deref(), Some("aa"));
        assert!(matches!(
            again.check_or_pin("P1", "cc"),
            PinCheck::Changed { .. }
        ));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn the_fingerprint_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
